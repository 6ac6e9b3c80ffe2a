// Package sigv4 verifies AWS Signature Version 4 on incoming requests, so
// that cacheplane can authenticate the same clients (aws CLI, boto3,
// aws-sdk-go-v2, ...) that talk to Amazon ElastiCache.
//
// Two request forms are understood:
//
//   - the Authorization header form, "AWS4-HMAC-SHA256 Credential=...,
//     SignedHeaders=..., Signature=..." with an X-Amz-Date header, which SDKs
//     send for POST form bodies;
//   - the presigned query-string form (X-Amz-Algorithm, X-Amz-Credential,
//     X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature).
//
// The server side rebuilds the canonical request exactly as the signer did
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html),
// derives the signing key from the caller's secret and compares signatures in
// constant time. Failures are reported as *Error values carrying the AWS
// Query-protocol error code and HTTP status to answer with.
//
// The package only uses the standard library: it sits on the request path of
// every API call and must stay small and auditable.
package sigv4
