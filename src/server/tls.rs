//! TLS on every listener (`serve --tls-cert/--tls-key`, and `--tls-client-ca` to ask each
//! client for a certificate signed by that CA): the files are read and checked once, before
//! the server binds anything, and every error names its flag and file. gRPC gets tonic's
//! rustls acceptor (ALPN `h2`, handshakes run beside the accept loop); the HTTP listeners
//! (front doors, `/metrics`) get a rustls acceptor of the same certificate and client-CA
//! (ALPN `http/1.1`). The crypto provider is rustls' `ring`, the one the clients use too.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio_rustls::TlsAcceptor;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

/// The files TLS is configured from, as the flags give them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// `--tls-cert`: the server's certificate chain, PEM, leaf first.
    pub cert: PathBuf,
    /// `--tls-key`: the certificate's private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// `--tls-client-ca`: when given, every client must present a certificate this CA
    /// (PEM, one or more certificates) signed.
    pub client_ca: Option<PathBuf>,
}

/// Why TLS could not be configured; each names the flag and, where one was read, the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("{flag} {}: {source}", path.display())]
    Read {
        flag: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file held no PEM item of the kind the flag needs.
    #[error("{flag} {}: {what}", path.display())]
    Pem {
        flag: &'static str,
        path: PathBuf,
        what: String,
    },
    /// The files do not make a valid configuration (e.g. the key is not the certificate's).
    #[error("{flag}: {source}")]
    Invalid {
        flag: &'static str,
        source: rustls::Error,
    },
    /// The client CA could not make a certificate verifier.
    #[error("--tls-client-ca {}: {source}", path.display())]
    ClientCa {
        path: PathBuf,
        source: rustls::server::VerifierBuilderError,
    },
}

/// TLS for the server's listeners, read and checked from [`TlsFiles`].
#[derive(Clone)]
pub struct Tls {
    grpc: ServerTlsConfig,
    http: TlsAcceptor,
    client_auth: bool,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Reads `files`; a TLS handshake not done within `handshake_timeout` closes its
    /// connection.
    pub fn load(files: &TlsFiles, handshake_timeout: Duration) -> Result<Tls, TlsError> {
        let cert_pem = read("--tls-cert", &files.cert)?;
        let key_pem = read("--tls-key", &files.key)?;
        let chain = certificates("--tls-cert", &files.cert, &cert_pem)?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|err| TlsError::Pem {
            flag: "--tls-key",
            path: files.key.clone(),
            what: format!("no private key found ({err})"),
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|source| TlsError::Invalid {
                flag: "--tls-cert",
                source,
            })?;
        let mut grpc = ServerTlsConfig::new()
            .identity(Identity::from_pem(&cert_pem, &key_pem))
            .timeout(handshake_timeout);
        let with_client_auth = match &files.client_ca {
            Some(path) => {
                let ca_pem = read("--tls-client-ca", path)?;
                let mut roots = RootCertStore::empty();
                for certificate in certificates("--tls-client-ca", path, &ca_pem)? {
                    roots.add(certificate).map_err(|source| TlsError::Invalid {
                        flag: "--tls-client-ca",
                        source,
                    })?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .map_err(|source| TlsError::ClientCa {
                            path: path.clone(),
                            source,
                        })?;
                grpc = grpc.client_ca_root(Certificate::from_pem(&ca_pem));
                versions.with_client_cert_verifier(verifier)
            }
            None => versions.with_no_client_auth(),
        };
        // rustls checks here that the key is the certificate's.
        let mut http = with_client_auth
            .with_single_cert(chain, key)
            .map_err(|source| TlsError::Invalid {
                flag: "--tls-key",
                source,
            })?;
        http.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            grpc,
            http: TlsAcceptor::from(Arc::new(http)),
            client_auth: files.client_ca.is_some(),
        })
    }

    /// The gRPC listener's configuration (tonic's acceptor).
    pub fn grpc(&self) -> ServerTlsConfig {
        self.grpc.clone()
    }

    /// The HTTP listeners' acceptor.
    pub fn http(&self) -> TlsAcceptor {
        self.http.clone()
    }

    /// Whether clients must present a certificate.
    pub fn client_auth(&self) -> bool {
        self.client_auth
    }
}

fn read(flag: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        flag,
        path: path.to_owned(),
        source,
    })
}

/// Every certificate of a PEM file, at least one.
fn certificates(
    flag: &'static str,
    path: &Path,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let invalid = |what: String| TlsError::Pem {
        flag,
        path: path.to_owned(),
        what,
    };
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| invalid(format!("not a PEM certificate file ({err})")))?;
    if chain.is_empty() {
        return Err(invalid("no certificate found".to_owned()));
    }
    Ok(chain)
}
