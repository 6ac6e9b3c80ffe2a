package api

// Errors common to every AWS Query service. The service model does not declare
// them (they come from the AWS front end, not from ElastiCache), so they are
// written here by hand, with AWS's documented codes and HTTP statuses.
const (
	CodeMissingAction              = "MissingAction"              // 400
	CodeInvalidAction              = "InvalidAction"              // 400
	CodeMissingParameter           = "MissingParameter"           // 400
	CodeInvalidQueryParameter      = "InvalidQueryParameter"      // 400
	CodeMalformedQueryString       = "MalformedQueryString"       // 404 (sic, as AWS documents it)
	CodeNotImplemented             = "NotImplemented"             // 501
	CodeInternalFailure            = "InternalFailure"            // 500
	CodeRequestEntityTooLarge      = "RequestEntityTooLarge"      // 413
	CodeMissingAuthenticationToken = "MissingAuthenticationToken" // 403
)

// NotImplemented is the answer of an operation cacheplane does not implement yet.
func NotImplemented(operation string) *Error {
	return Errorf(CodeNotImplemented, 501, "The operation %s is not implemented by cacheplane yet.", operation)
}

// ErrMissingParameter reports an absent required parameter.
func ErrMissingParameter(name string) *Error {
	return Errorf(CodeMissingParameter, 400, "The request must contain the parameter %s.", name)
}

// ErrInvalidParameterValueMsg is ErrInvalidParameterValue without format directives.
func ErrInvalidParameterValueMsg(msg string) *Error { return ErrInvalidParameterValue("%s", msg) }

// ErrInvalidParameterCombinationMsg is ErrInvalidParameterCombination without format directives.
func ErrInvalidParameterCombinationMsg(msg string) *Error {
	return ErrInvalidParameterCombination("%s", msg)
}
