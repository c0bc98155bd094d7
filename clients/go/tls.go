// TLS for Dial: WithTLS turns the connection to TLS (system roots, or a CA of your own),
// with an optional client certificate for a server that asks for one (mutual TLS).

package stockledger

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
)

// TLS says how Dial secures the connection (WithTLS). The zero value is TLS that trusts
// the system's certificate authorities and sends no client certificate.
type TLS struct {
	// CACertPEM: the certificates (PEM) of the authorities trusted to sign the server's
	// certificate, instead of the system's; nil trusts the system's.
	CACertPEM []byte
	// ClientCertPEM and ClientKeyPEM: a client certificate (PEM, leaf first) and its
	// private key (PEM), for a server that asks for one (serve --tls-client-ca); both or
	// neither.
	ClientCertPEM []byte
	ClientKeyPEM  []byte
	// ServerName: the name the server's certificate must be valid for, when it is not the
	// host of the address (e.g. "localhost" when dialing "127.0.0.1:50051" through a
	// tunnel); empty means the address's host.
	ServerName string
}

// WithTLS makes Dial connect over TLS instead of plaintext:
//
//	ca, err := os.ReadFile("ca.pem")
//	...
//	c, err := stockledger.Dial("ledger.example.com:50051", token,
//		stockledger.WithTLS(stockledger.TLS{CACertPEM: ca}))
//
// A certificate or key that does not parse makes Dial return an *Error (codes.InvalidArgument,
// Reason ReasonInvalidValue, Field() naming the TLS field). A server that refuses the
// handshake, or whose certificate the client does not trust, fails the first call with an
// *Error of codes.Unavailable. The option is for Dial; given to grpc.NewClient directly it
// sets the same transport credentials (invalid settings: credentials whose every handshake
// fails with the refusal, never plaintext).
func WithTLS(settings TLS) grpc.DialOption {
	creds, err := settings.credentials()
	if err != nil {
		// A plain error: an *Error's status (INVALID_ARGUMENT) is not one a handshake may end with.
		refused := refusedCredentials{errors.New("stockledger: invalid TLS settings: " + err.Message)}
		return tlsOption{DialOption: grpc.WithTransportCredentials(refused), err: err}
	}
	return tlsOption{DialOption: grpc.WithTransportCredentials(creds)}
}

// tlsOption is WithTLS's option: the transport credentials, or why there are none (which
// Dial returns).
type tlsOption struct {
	grpc.DialOption
	err *Error
}

// tlsError is the first invalid WithTLS among opts, nil when there is none.
func tlsError(opts []grpc.DialOption) *Error {
	for _, opt := range opts {
		if o, ok := opt.(tlsOption); ok && o.err != nil {
			return o.err
		}
	}
	return nil
}

// credentials checks the settings and makes gRPC's TLS transport credentials of them.
func (s TLS) credentials() (credentials.TransportCredentials, *Error) {
	config, err := s.config()
	if err != nil {
		return nil, err
	}
	return credentials.NewTLS(config), nil
}

// config is the crypto/tls configuration the settings describe (TLS 1.2 at least).
func (s TLS) config() (*tls.Config, *Error) {
	config := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s.ServerName}
	if s.CACertPEM != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(s.CACertPEM) {
			return nil, invalidTLS("TLS.CACertPEM", "holds no PEM certificate")
		}
		config.RootCAs = pool
	}
	switch {
	case s.ClientCertPEM == nil && s.ClientKeyPEM == nil:
	case s.ClientCertPEM == nil:
		return nil, invalidTLS("TLS.ClientCertPEM", "is required with TLS.ClientKeyPEM (a client certificate and its key, or neither)")
	case s.ClientKeyPEM == nil:
		return nil, invalidTLS("TLS.ClientKeyPEM", "is required with TLS.ClientCertPEM (a client certificate and its key, or neither)")
	default:
		pair, err := tls.X509KeyPair(s.ClientCertPEM, s.ClientKeyPEM)
		if err != nil {
			return nil, invalidTLS("TLS.ClientCertPEM", "and TLS.ClientKeyPEM are not a PEM certificate and its private key: "+err.Error())
		}
		config.Certificates = []tls.Certificate{pair}
	}
	return config, nil
}

// refusedCredentials are the transport credentials of invalid settings outside Dial: no
// connection is made with them.
type refusedCredentials struct{ err error }

func (c refusedCredentials) ClientHandshake(context.Context, string, net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, c.err
}

func (c refusedCredentials) ServerHandshake(net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, c.err
}

func (refusedCredentials) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "tls"}
}

func (c refusedCredentials) Clone() credentials.TransportCredentials { return c }

func (refusedCredentials) OverrideServerName(string) error { return nil }

func invalidTLS(field, problem string) *Error {
	return refuse(codes.InvalidArgument, ReasonInvalidValue, field, field+" "+problem, nil)
}
