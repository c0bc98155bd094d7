// Unit tests of Decimal (parsing, normalisation, exact arithmetic, text encoding) and of
// the wire time conversions; they need no server.

package stockledger_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	stockledger "github.com/stockledger/stockledger/clients/go"
)

func TestParseDecimalNormalises(t *testing.T) {
	cases := map[string]string{
		"94": "94", "25.00": "25", "2.5": "2.5", "0.00001": "0.00001", "-3.14159": "-3.14159",
		"007": "7", "1.100000": "1.1", "-0": "0", "0.00000": "0", "-0.0": "0",
		"12345678901234.56789": "12345678901234.56789",
	}
	for in, want := range cases {
		d, err := stockledger.ParseDecimal(in)
		if err != nil {
			t.Fatalf("ParseDecimal(%q): %v", in, err)
		}
		if d.String() != want {
			t.Errorf("ParseDecimal(%q) = %q, want %q", in, d.String(), want)
		}
	}
}

func TestParseDecimalRefusesMoreThanFivePlaces(t *testing.T) {
	for _, in := range []string{"1.123456", "0.000001", "-2.0000001"} {
		if _, err := stockledger.ParseDecimal(in); !errors.Is(err, stockledger.ErrTooPrecise) {
			t.Errorf("ParseDecimal(%q) error = %v, want ErrTooPrecise", in, err)
		}
	}
}

func TestParseDecimalRefusesWhatIsNotAPlainDecimal(t *testing.T) {
	for _, in := range []string{"", "-", "+1", "1e2", "1.", ".5", " 1", "1 ", "1,5", "NaN", "Inf", "0x10", "--1", "1.2.3"} {
		if d, err := stockledger.ParseDecimal(in); err == nil {
			t.Errorf("ParseDecimal(%q) = %v, want an error", in, d)
		}
	}
}

func TestDecimalZeroValueIntsRatsAndText(t *testing.T) {
	var zero stockledger.Decimal
	if zero.String() != "0" || !zero.IsZero() || !zero.Equal(stockledger.MustDecimal("0.000")) {
		t.Errorf("zero value: %q", zero.String())
	}
	if got := stockledger.DecimalFromInt(-100).String(); got != "-100" {
		t.Errorf("DecimalFromInt(-100) = %q", got)
	}
	sum := stockledger.MustDecimal("0.1").Rat()
	sum.Add(sum, stockledger.MustDecimal("0.2").Rat())
	if sum.RatString() != "3/10" {
		t.Errorf("0.1 + 0.2 = %s, want exactly 3/10", sum.RatString())
	}
	var out struct{ Q stockledger.Decimal }
	if err := json.Unmarshal([]byte(`{"Q":"2.50"}`), &out); err != nil || out.Q.String() != "2.5" {
		t.Errorf("json: %v %v", out.Q, err)
	}
	if err := json.Unmarshal([]byte(`{"Q":"2.500001"}`), &out); err == nil {
		t.Error("json accepted 6 places")
	}
	encoded, _ := json.Marshal(struct{ Q stockledger.Decimal }{stockledger.MustDecimal("93")})
	if string(encoded) != `{"Q":"93"}` {
		t.Errorf("json: %s", encoded)
	}
}

func TestTimes(t *testing.T) {
	moment := time.Date(2026, 11, 3, 9, 30, 15, 123456789, time.FixedZone("CEST", 2*3600))
	ts := stockledger.Timestamp(moment)
	if ts.GetSeconds() != 1793691015 || ts.GetNanos() != 123456789 {
		t.Errorf("Timestamp = %v", ts)
	}
	if back := stockledger.Time(ts); !back.Equal(moment) {
		t.Errorf("Time = %v, want %v", back, moment)
	}
	if stockledger.Timestamp(time.Time{}) != nil || !stockledger.Time(nil).IsZero() {
		t.Error("zero time must be an absent timestamp and back")
	}
}
