//! [`ClientBuilder`]: how a [`Client`] connects — plain HTTP/2 by default, TLS with the
//! `tls` cargo feature (a CA certificate to trust, or the system's roots; optionally a
//! client certificate and key for mutual TLS, and the server name), and a connect timeout.
//!
//! ```no_run
//! # #[cfg(feature = "tls")]
//! # async fn tls(token: String) -> Result<(), Box<dyn std::error::Error>> {
//! # use stockledger_client::Client;
//! let client = Client::builder("ledger.example.com:443", &token)
//!     .ca_certificate_pem(std::fs::read("ca.pem")?)?
//!     .identity_pem(std::fs::read("client.pem")?, std::fs::read("client.key")?)? // mutual TLS, optional
//!     .connect()
//!     .await?;
//! # let _ = client;
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use tonic::transport::Endpoint;

use crate::{BearerAuth, Client, Error};

/// How to connect: [`Client::builder`], then the options, then [`ClientBuilder::connect`].
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    addr: String,
    token: String,
    connect_timeout: Option<Duration>,
    #[cfg(feature = "tls")]
    tls: Option<tonic::transport::ClientTlsConfig>,
    /// Whether [`ClientBuilder::ca_certificate_pem`] was given: without it, TLS trusts the
    /// system's roots.
    #[cfg(feature = "tls")]
    ca_given: bool,
}

impl ClientBuilder {
    pub(crate) fn new(addr: impl Into<String>, token: impl Into<String>) -> Self {
        ClientBuilder {
            addr: addr.into(),
            token: token.into(),
            connect_timeout: None,
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            ca_given: false,
        }
    }

    /// Gives up connecting after `timeout` (default: no limit of its own).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Connects over TLS, trusting the system's root certificates (as the platform's
    /// verifier finds them) unless [`ClientBuilder::ca_certificate_pem`] names the CA. The
    /// other TLS settings ([`ClientBuilder::identity_pem`], [`ClientBuilder::domain_name`])
    /// turn TLS on as well; this is for a server whose certificate a public CA issued.
    #[cfg(feature = "tls")]
    pub fn tls(mut self) -> Self {
        self.tls = Some(self.tls.take().unwrap_or_default());
        self
    }

    /// Connects over TLS and trusts the server certificates issued by the CA certificate(s)
    /// in `pem` (only those: no system roots). Refused here (`InvalidArgument`, reason
    /// `INVALID_VALUE`, field `ca_certificate_pem`) when `pem` holds no certificate or one
    /// that does not parse. A `host:port` address is then reached as `https://host:port`,
    /// and the server certificate must name that host (or [`ClientBuilder::domain_name`]).
    #[cfg(feature = "tls")]
    pub fn ca_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        tls::check_ca(pem.as_ref())?;
        let certificate = tonic::transport::Certificate::from_pem(pem);
        self.tls = Some(
            self.tls
                .take()
                .unwrap_or_default()
                .ca_certificate(certificate),
        );
        self.ca_given = true;
        Ok(self)
    }

    /// With TLS, presents this client certificate (chain, PEM) and its private key (PEM:
    /// PKCS#8, PKCS#1 or SEC1) to a server that asks for one (mutual TLS). Refused here
    /// when either does not parse (field `identity_pem.certificate` or `identity_pem.key`).
    #[cfg(feature = "tls")]
    pub fn identity_pem(
        mut self,
        certificate_pem: impl AsRef<[u8]>,
        key_pem: impl AsRef<[u8]>,
    ) -> Result<Self, Error> {
        tls::check_identity(certificate_pem.as_ref(), key_pem.as_ref())?;
        let identity = tonic::transport::Identity::from_pem(certificate_pem, key_pem);
        self.tls = Some(self.tls.take().unwrap_or_default().identity(identity));
        Ok(self)
    }

    /// With TLS, the name the server certificate must hold, when it is not the address's
    /// host (e.g. connecting by IP address).
    #[cfg(feature = "tls")]
    pub fn domain_name(mut self, domain_name: impl Into<String>) -> Self {
        self.tls = Some(self.tls.take().unwrap_or_default().domain_name(domain_name));
        self
    }

    /// Connects (`host:port`, or a full `http://…`/`https://…` URI) and acts with the token
    /// on every call.
    pub async fn connect(self) -> Result<Client, Error> {
        let auth = BearerAuth::new(&self.token)?;
        let channel = self.endpoint()?.connect().await?;
        Ok(Client { channel, auth })
    }

    fn endpoint(&self) -> Result<Endpoint, Error> {
        #[cfg(feature = "tls")]
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        #[cfg(not(feature = "tls"))]
        let scheme = "http";
        let uri = if self.addr.contains("://") {
            self.addr.clone()
        } else {
            format!("{scheme}://{}", self.addr)
        };
        let mut endpoint = Endpoint::from_shared(uri)?.tcp_nodelay(true);
        if let Some(timeout) = self.connect_timeout {
            endpoint = endpoint.connect_timeout(timeout);
        }
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            let tls = if self.ca_given {
                tls.clone()
            } else {
                tls.clone().with_native_roots()
            };
            endpoint = endpoint.tls_config(tls)?;
        }
        Ok(endpoint)
    }
}

/// Reads the PEM up front: tonic skips what it cannot parse and would fail only at the
/// handshake, with a less telling message.
#[cfg(feature = "tls")]
mod tls {
    use rustls::RootCertStore;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    use crate::{Error, INVALID_VALUE};

    fn certificates(pem: &[u8], field: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
        let certificates = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| Error::invalid(field, INVALID_VALUE, format!("not PEM: {err}")))?;
        if certificates.is_empty() {
            return Err(Error::invalid(
                field,
                INVALID_VALUE,
                "holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            ));
        }
        Ok(certificates)
    }

    pub(super) fn check_ca(pem: &[u8]) -> Result<(), Error> {
        const FIELD: &str = "ca_certificate_pem";
        let certificates = certificates(pem, FIELD)?;
        let (_, unusable) = RootCertStore::empty().add_parsable_certificates(certificates);
        if unusable > 0 {
            return Err(Error::invalid(
                FIELD,
                INVALID_VALUE,
                format!("{unusable} certificate(s) do not parse as X.509"),
            ));
        }
        Ok(())
    }

    pub(super) fn check_identity(certificate_pem: &[u8], key_pem: &[u8]) -> Result<(), Error> {
        certificates(certificate_pem, "identity_pem.certificate")?;
        PrivateKeyDer::from_pem_slice(key_pem).map_err(|err| {
            Error::invalid(
                "identity_pem.key",
                INVALID_VALUE,
                format!("holds no PEM private key: {err}"),
            )
        })?;
        Ok(())
    }
}

#[cfg(all(test, feature = "tls"))]
mod tests {
    use super::*;

    /// A self-signed CA certificate made for this test alone (no key is kept).
    const TEST_CA: &str = include_str!("../testdata/test-ca.pem");

    #[test]
    fn accepts_a_pem_ca_and_switches_to_https() {
        let builder = Client::builder("127.0.0.1:50051", "token")
            .ca_certificate_pem(TEST_CA)
            .expect("a PEM CA certificate is accepted");
        assert!(builder.tls.is_some() && builder.ca_given);
        assert_eq!(
            builder.endpoint().unwrap().uri().to_string(),
            "https://127.0.0.1:50051/"
        );
        for system_roots in [
            Client::builder("ledger.example.com:443", "token").tls(),
            Client::builder("ledger.example.com:443", "token").domain_name("ledger.example.com"),
        ] {
            assert!(system_roots.tls.is_some() && !system_roots.ca_given);
            assert_eq!(
                system_roots.endpoint().unwrap().uri().to_string(),
                "https://ledger.example.com:443/"
            );
        }
        let plain = Client::builder("127.0.0.1:50051", "token");
        assert_eq!(
            plain.endpoint().unwrap().uri().to_string(),
            "http://127.0.0.1:50051/"
        );
    }

    #[test]
    fn refuses_garbage_with_the_client_error() {
        for garbage in [
            "not a certificate".as_bytes(),
            b"",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            b"-----BEGIN CERTIFICATE-----\nno base64 here!\n-----END CERTIFICATE-----\n",
        ] {
            let err = Client::builder("127.0.0.1:50051", "token")
                .ca_certificate_pem(garbage)
                .expect_err("garbage is refused");
            assert_eq!(err.code(), tonic::Code::InvalidArgument);
            assert_eq!(err.reason(), Some(crate::INVALID_VALUE));
            assert_eq!(err.domain(), Some(crate::CLIENT_DOMAIN));
            assert_eq!(err.field(), Some("ca_certificate_pem"), "{err}");
        }
        let err = Client::builder("127.0.0.1:50051", "token")
            .identity_pem(TEST_CA, "no key")
            .expect_err("a key that is no PEM key is refused");
        assert_eq!(err.field(), Some("identity_pem.key"));
        let err = Client::builder("127.0.0.1:50051", "token")
            .identity_pem("no certificate", "no key")
            .expect_err("a certificate that is no PEM is refused");
        assert_eq!(err.field(), Some("identity_pem.certificate"));
    }
}
