package sigv4

import "net/http"

// AWS wire codes for signature failures. These are the common errors of the
// AWS Query protocol, so SDKs map them to their usual exception types.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	CodeIncompleteSignature        = "IncompleteSignature"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	CodeRequestExpired             = "RequestExpired"
	CodeInvalidClientTokenID       = "InvalidClientTokenId"
)

// Messages AWS uses verbatim; clients and humans grep for them.
const (
	msgMissingAuthenticationToken = "Request is missing Authentication Token"
	msgInvalidClientTokenID       = "The security token included in the request is invalid."
	msgSignatureDoesNotMatch      = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// Error is a signature failure in AWS terms: Code is the AWS wire code,
// HTTPStatus the status to answer with.
type Error struct {
	Code       string
	Message    string
	HTTPStatus int
}

// Error renders the failure as "Code: Message".
func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	return e.Code + ": " + e.Message
}

func errMissingAuthenticationToken() *Error {
	return &Error{Code: CodeMissingAuthenticationToken, Message: msgMissingAuthenticationToken, HTTPStatus: http.StatusForbidden}
}

// errIncompleteSignature reports a signature that cannot even be evaluated:
// something is missing or malformed.
func errIncompleteSignature(message string) *Error {
	return &Error{Code: CodeIncompleteSignature, Message: message, HTTPStatus: http.StatusBadRequest}
}

// errSignatureDoesNotMatch reports a well-formed signature that is not valid
// for this request (wrong scope, wrong secret, tampered content).
func errSignatureDoesNotMatch(message string) *Error {
	return &Error{Code: CodeSignatureDoesNotMatch, Message: message, HTTPStatus: http.StatusForbidden}
}

// errRequestExpired is 400, not 403: that is what AWS Query services answer.
func errRequestExpired(message string) *Error {
	return &Error{Code: CodeRequestExpired, Message: message, HTTPStatus: http.StatusBadRequest}
}

func errInvalidClientTokenID() *Error {
	return &Error{Code: CodeInvalidClientTokenID, Message: msgInvalidClientTokenID, HTTPStatus: http.StatusForbidden}
}
