package dev.stockledger.client;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * The TLS settings of a {@link StockledgerClient.Builder}, turned into gRPC channel credentials:
 * plaintext unless enabled; the trusted CAs (else the system's); a client certificate and key
 * for mutual TLS. Each PEM is read and parsed before the channel is made (and the key checked
 * against the certificate), so that a wrong file is refused naming the setting, not found out
 * at the first call.
 */
final class TlsSettings {
  boolean enabled;
  Pem trusted;
  Pem certificate;
  Pem key;
  String serverName;

  /** A PEM setting: its name (for errors) and a file to read or the text itself. */
  record Pem(String setting, Path path, byte[] text) {
    static Pem of(String setting, Path path) {
      if (path == null) {
        throw missing(setting);
      }
      return new Pem(setting, path, null);
    }

    static Pem of(String setting, byte[] text) {
      if (text == null) {
        throw missing(setting);
      }
      return new Pem(setting, null, text.clone());
    }

    byte[] read() {
      if (text != null) {
        return text;
      }
      try {
        return Files.readAllBytes(path);
      } catch (IOException e) {
        throw invalid(setting, "cannot read " + path + ": " + e);
      }
    }

    String where() {
      return path != null ? path.toString() : "the PEM given";
    }
  }

  ChannelCredentials credentials() {
    if (!enabled) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
    try {
      if (trusted != null) {
        builder.trustManager(new ByteArrayInputStream(certificates(trusted)));
      }
      if (certificate != null) {
        byte[] chain = certificates(certificate);
        byte[] privateKey = privateKey(key, leaf(chain));
        builder.keyManager(new ByteArrayInputStream(chain), new ByteArrayInputStream(privateKey));
      }
    } catch (IOException e) {
      // Reading from memory does not fail; the PEM was checked above.
      throw new IllegalStateException(e);
    }
    return builder.build();
  }

  /** The PEM's bytes, refused unless they hold at least one X.509 certificate. */
  private static byte[] certificates(Pem pem) {
    byte[] bytes = pem.read();
    try {
      if (CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(bytes))
          .isEmpty()) {
        throw invalid(pem.setting(), pem.where() + " holds no PEM certificate");
      }
    } catch (GeneralSecurityException e) {
      throw invalid(pem.setting(), pem.where() + " holds no PEM certificate: " + e.getMessage());
    }
    return bytes;
  }

  private static final Pattern PKCS8 =
      Pattern.compile(
          "-----BEGIN PRIVATE KEY-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END PRIVATE KEY-----");

  /** The first certificate of a PEM chain that {@link #certificates} accepted. */
  private static X509Certificate leaf(byte[] chain) {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(chain));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e); // parsed once already
    }
  }

  /**
   * The PEM's bytes, refused unless they hold a PKCS#8 private key (EC, RSA or Ed25519) that is
   * the certificate's: a signature it makes must verify with the certificate's public key.
   */
  private static byte[] privateKey(Pem pem, X509Certificate certificate) {
    byte[] bytes = pem.read();
    var match = PKCS8.matcher(new String(bytes, StandardCharsets.US_ASCII));
    PrivateKey key = null;
    if (match.find()) {
      try {
        var spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(match.group(1)));
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
          try {
            key = KeyFactory.getInstance(algorithm).generatePrivate(spec);
            break;
          } catch (GeneralSecurityException notThisOne) {
            // try the next algorithm
          }
        }
      } catch (IllegalArgumentException badBase64) {
        // refused below
      }
    }
    if (key == null) {
      throw invalid(
          pem.setting(),
          pem.where()
              + " holds no PEM private key in PKCS#8 (-----BEGIN PRIVATE KEY-----; convert with"
              + " openssl pkcs8 -topk8 -nocrypt)");
    }
    if (!signsFor(key, certificate)) {
      throw invalid(
          pem.setting(),
          pem.where()
              + " is not the private key of the client certificate ("
              + certificate.getSubjectX500Principal()
              + ")");
    }
    return bytes;
  }

  private static boolean signsFor(PrivateKey key, X509Certificate certificate) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          default -> key.getAlgorithm(); // Ed25519
        };
    try {
      byte[] probe = "stockledger client certificate check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false; // e.g. an EC key with an RSA certificate
    }
  }

  private static StockledgerException invalid(String setting, String description) {
    return StockledgerException.local(Status.Code.INVALID_ARGUMENT, "INVALID_VALUE", setting, description);
  }

  private static StockledgerException missing(String setting) {
    return StockledgerException.local(
        Status.Code.INVALID_ARGUMENT, "MISSING_REQUIRED_PARAMETER", setting, setting + " is required");
  }
}
