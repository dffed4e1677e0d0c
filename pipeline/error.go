package pipeline

import (
	"errors"
	"fmt"
)

// Error codes. The message of an Error with one of these codes is safe to
// show to a clerk; anything else is an internal error.
const (
	ECONFLICT    = "conflict"
	EINTERNAL    = "internal"
	EINVALID     = "invalid"
	ENOTFOUND    = "not_found"
	ETOOLARGE    = "too_large"
	EUNSUPPORTED = "unsupported" // a format hoso does not read
	ECORRUPT     = "corrupt"     // a damaged file
	EENCRYPTED   = "encrypted"
	EEMPTY       = "empty"
	ETIMEOUT     = "timeout"
	ELIMIT       = "limit" // memory or CPU limit of the sandbox
	EQUARANTINED = "quarantined"
	ENEEDSOCR    = "needs_ocr"
	EUNSAFE      = "unsafe" // zip-slip paths, archive bombs

	EUNAUTHORIZED = "unauthorized" // not signed in, or a bad token
	EFORBIDDEN    = "forbidden"    // signed in, but the role may not
	ELOCKED       = "locked"       // too many wrong passwords
	ETOOMANY      = "too_many_requests"
	EBUSY         = "busy"        // the server does as much of this as it may at once: try again soon
	EOCRMISSING   = "ocr_missing" // a document waits: OCR is not installed
)

// Error is a domain error: a code and a message written for the person who
// will read it.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("hoso error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an Error with the given code and formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the domain error in err's chain, EINTERNAL
// for any other error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the domain error in err's chain, or
// "Internal error." for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// Retryable reports whether a document that failed with a code may
// succeed when tried again: not a file that is encrypted, empty, of a
// format hoso does not read, unsafe, too large or damaged.
func Retryable(code string) bool {
	switch code {
	case EENCRYPTED, EEMPTY, EUNSUPPORTED, EUNSAFE, ETOOLARGE, ECORRUPT:
		return false
	}
	return true
}
