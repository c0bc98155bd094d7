// Errors: *Error is the one error type of the client, for a refusal by the server (decoded
// from the gRPC status and its details) and for a value refused before anything is sent
// (a bad decimal, an update that changes nothing), with the same fields either way.

package stockledger

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/stockledger/stockledger/clients/go/stockledgerv1"
)

// FieldViolation names one offending request field, by its path in the request
// ("changes[0].adjustment.quantity"), and says what is wrong with it.
type FieldViolation struct {
	Field       string
	Description string
}

// Error is every error a Client's calls return (the convenience methods and the raw
// stubs alike), decoded from the gRPC status and its details, and every error of a value
// refused locally (ParseDecimal, a helper's argument check): find it with errors.As.
// CodeName, Reason and Field say what was refused, in the server's words; a local refusal
// uses the server's code and reason for the same mistake (Local tells them apart).
// status.Code(err) and status.FromError(err) keep working on it.
type Error struct {
	// Code is the gRPC status code (codes.InvalidArgument, codes.NotFound, …).
	Code codes.Code
	// Message is the status message.
	Message string
	// Reason is the ErrorInfo reason, UPPER_SNAKE_CASE ("MISSING_REQUIRED_PARAMETER"); empty
	// when the server sent none (e.g. Unauthenticated, transport errors).
	Reason string
	// Domain is the ErrorInfo domain, "stockledger".
	Domain string
	// Metadata is the ErrorInfo metadata (e.g. "field", "correlation_id").
	Metadata map[string]string
	// FieldViolations are the BadRequest violations, in the server's order.
	FieldViolations []FieldViolation
	// CorrelationID is set on Internal errors: the id that also appears in the server log.
	CorrelationID string
	// Local is true when the client refused the value itself and sent nothing.
	Local bool

	status *status.Status
	cause  error // what a local refusal wraps (ErrTooPrecise), for errors.Is
}

// refuse is a local refusal of one field's value: code and reason as the server would
// send them for it, field its path in the request ("" when it has none, as for a
// ParseDecimal of a string that is no field yet).
func refuse(code codes.Code, reason, field, description string, cause error) *Error {
	e := &Error{
		Code: code, Message: description, Reason: reason, Domain: ErrorDomain,
		Metadata: map[string]string{}, Local: true, status: status.New(code, description), cause: cause,
	}
	if field != "" {
		e.Metadata["field"] = field
		e.FieldViolations = []FieldViolation{{Field: field, Description: description}}
	}
	return e
}

// ErrorDomain is the ErrorInfo domain of every Stockledger refusal.
const ErrorDomain = "stockledger"

// The ErrorInfo reasons of a refused field value (code InvalidArgument) that the client
// also checks itself.
const (
	ReasonInvalidValue             = "INVALID_VALUE"
	ReasonMissingRequiredParameter = "MISSING_REQUIRED_PARAMETER"
)

// Unwrap is the error a local refusal wraps (ErrTooPrecise for a decimal with too many
// places), so errors.Is finds it; nil for the server's refusals.
func (e *Error) Unwrap() error { return e.cause }

// CodeName is the gRPC status code's canonical name: "INVALID_ARGUMENT", "NOT_FOUND",
// "FAILED_PRECONDITION", … (Code.String() is the Go spelling, "InvalidArgument").
func (e *Error) CodeName() string {
	if int(e.Code) < len(codeNames) {
		return codeNames[e.Code]
	}
	return fmt.Sprintf("CODE(%d)", e.Code)
}

// codeNames are the canonical gRPC code names, by code.
var codeNames = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
}

// Field is the path of the refused field in the request ("changes[0].adjustment.quantity",
// "location.name"): the ErrorInfo's "field", else the first field violation's; empty when
// the refusal names no field.
func (e *Error) Field() string {
	if field := e.Metadata["field"]; field != "" {
		return field
	}
	if len(e.FieldViolations) > 0 {
		return e.FieldViolations[0].Field
	}
	return ""
}

// Error formats the code, message, reason and violations.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stockledger: %s: %s", e.CodeName(), e.Message)
	if e.Reason != "" {
		fmt.Fprintf(&b, " [%s]", e.Reason)
	}
	for _, v := range e.FieldViolations {
		fmt.Fprintf(&b, "; %s: %s", v.Field, v.Description)
	}
	return b.String()
}

// GRPCStatus makes status.FromError and status.Code see the original status.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// Fields lists the offending field paths.
func (e *Error) Fields() []string {
	fields := make([]string, len(e.FieldViolations))
	for i, v := range e.FieldViolations {
		fields[i] = v.Field
	}
	return fields
}

// AsError decodes any error of a gRPC call into an *Error (nil for nil; an *Error is
// returned as is). A non-gRPC error becomes codes.Unknown.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return already
	}
	st, _ := status.FromError(err)
	out := &Error{Code: st.Code(), Message: st.Message(), status: st}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			out.Reason, out.Domain, out.Metadata = d.GetReason(), d.GetDomain(), d.GetMetadata()
			out.CorrelationID = d.GetMetadata()["correlation_id"]
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				out.FieldViolations = append(out.FieldViolations, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	return out
}

// The ErrorInfo reasons of a guard's refusal (code FailedPrecondition).
const (
	ReasonQuantityMismatch     = "QUANTITY_MISMATCH"
	ReasonInsufficientQuantity = "INSUFFICIENT_QUANTITY"
)

// IsQuantityMismatch reports whether a change's expected quantity (ExpectQuantity,
// ExpectAbsent) did not hold; see ActualQuantity, GuardedCount and Metadata["field"].
func (e *Error) IsQuantityMismatch() bool {
	return e.Code == codes.FailedPrecondition && e.Reason == ReasonQuantityMismatch
}

// IsInsufficientQuantity reports whether the batch would have left a count below zero
// where that is forbidden; see AvailableQuantity, GuardedCount and Metadata["field"].
func (e *Error) IsInsufficientQuantity() bool {
	return e.Code == codes.FailedPrecondition && e.Reason == ReasonInsufficientQuantity
}

// ActualQuantity is, for a quantity mismatch, what the count held just before the
// change; exists is false when the count does not exist (the server's "ABSENT") and
// for any other error.
func (e *Error) ActualQuantity() (quantity Decimal, exists bool) {
	if !e.IsQuantityMismatch() {
		return Decimal{}, false
	}
	return e.guardQuantity("actual_quantity")
}

// AvailableQuantity is, for an insufficient quantity, what the count held just before
// the change that took it below zero; ok is false for any other error.
func (e *Error) AvailableQuantity() (quantity Decimal, ok bool) {
	if !e.IsInsufficientQuantity() {
		return Decimal{}, false
	}
	return e.guardQuantity("available_quantity")
}

func (e *Error) guardQuantity(key string) (Decimal, bool) {
	text := e.Metadata[key]
	if text == "" || text == absent {
		return Decimal{}, false
	}
	quantity, err := ParseDecimal(text)
	return quantity, err == nil
}

// CountKey names one count: an item's quantity in one state at one location.
type CountKey struct {
	CatalogObjectID string
	LocationID      string
	State           pb.InventoryState
}

// GuardedCount is the count a guard's refusal is about; ok is false for any other error.
func (e *Error) GuardedCount() (count CountKey, ok bool) {
	if !e.IsQuantityMismatch() && !e.IsInsufficientQuantity() {
		return CountKey{}, false
	}
	return CountKey{
		CatalogObjectID: e.Metadata["catalog_object_id"],
		LocationID:      e.Metadata["location_id"],
		State:           pb.InventoryState(pb.InventoryState_value["INVENTORY_STATE_"+e.Metadata["state"]]),
	}, true
}
