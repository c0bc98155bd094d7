// Decimals: Decimal, the exact quantity and money type of every helper, and ParseDecimal,
// whose refusals are *Error values like the server's.

package stockledger

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"google.golang.org/grpc/codes"
)

// MaxPlaces is the number of digits allowed after the decimal point on the wire.
const MaxPlaces = 5

// Decimal is an exact quantity or amount of money as it travels on the wire: a plain
// decimal string ("94", "2.5", "-0.00001") with at most five digits after the point.
// It is kept as normalised text (no trailing zeros, no leading zeros, no "-0") and never
// goes through float64. The zero value is 0.
type Decimal struct {
	text string
}

// ErrTooPrecise is wrapped by ParseDecimal's *Error for a value that needs more than
// MaxPlaces digits after the point (errors.Is finds it).
var ErrTooPrecise = errors.New("more than 5 digits after the decimal point")

// ParseDecimal reads a plain decimal: an optional '-', digits, and optionally '.' and more
// digits ("12", "-2.50", "0.00001"). Exponents, '+', spaces and separators are refused.
// Trailing zeros after the point do not count against MaxPlaces ("1.100000" is 1.1), so a
// value is refused only when it really needs more than five places. A refusal is an *Error
// as the server sends for such a quantity: code INVALID_ARGUMENT, reason INVALID_VALUE,
// Local true; ParseDecimalField also names the field.
func ParseDecimal(s string) (Decimal, error) { return ParseDecimalField("", s) }

// ParseDecimalField is ParseDecimal of the value of a request field: a refusal's Field()
// is field ("lines[0].quantity").
func ParseDecimalField(field, s string) (Decimal, error) {
	text := s
	negative := strings.HasPrefix(text, "-")
	if negative {
		text = text[1:]
	}
	whole, frac, hasPoint := strings.Cut(text, ".")
	if whole == "" || !allDigits(whole) || (hasPoint && (frac == "" || !allDigits(frac))) {
		return Decimal{}, refuse(codes.InvalidArgument, ReasonInvalidValue, field,
			fmt.Sprintf("%q is not a plain decimal such as \"12\" or \"2.5\"", s), nil)
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > MaxPlaces {
		return Decimal{}, refuse(codes.InvalidArgument, ReasonInvalidValue, field,
			fmt.Sprintf("%q has %s", s, ErrTooPrecise), ErrTooPrecise)
	}
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if negative && out != "0" {
		out = "-" + out
	}
	return Decimal{text: out}, nil
}

// MustDecimal is ParseDecimal for constants; it panics on an invalid value.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DecimalFromInt is the whole number n.
func DecimalFromInt(n int64) Decimal {
	return Decimal{text: fmt.Sprint(n)}
}

// String is the wire form: "0" for the zero value.
func (d Decimal) String() string {
	if d.text == "" {
		return "0"
	}
	return d.text
}

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.text == "" || d.text == "0" }

// Equal reports whether d and other are the same number.
func (d Decimal) Equal(other Decimal) bool { return d.String() == other.String() }

// Rat is d as an exact rational number, for arithmetic.
func (d Decimal) Rat() *big.Rat {
	r, ok := new(big.Rat).SetString(d.String())
	if !ok {
		panic("stockledger: invalid Decimal " + d.text) // unreachable: text is always valid
	}
	return r
}

// MarshalText writes the wire form (JSON, YAML and friends use it).
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads the wire form with ParseDecimal.
func (d *Decimal) UnmarshalText(text []byte) error {
	parsed, err := ParseDecimal(string(text))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// parseWire reads a decimal the server sent; "" (an unset field) is reported as ok=false.
func parseWire(s string) (Decimal, bool, error) {
	if s == "" {
		return Decimal{}, false, nil
	}
	d, err := ParseDecimal(s)
	return d, err == nil, err
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
