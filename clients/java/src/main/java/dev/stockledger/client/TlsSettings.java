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
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * The TLS settings of a {@link StockledgerClient.Builder}, turned into gRPC channel credentials:
 * plaintext unless enabled; the trusted CAs (else the system's); a client certificate and key
 * for mutual TLS. Each PEM is read and parsed before the channel is made, so that a wrong file
 * is refused naming the setting, not found out at the first call.
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
        builder.keyManager(
            new ByteArrayInputStream(certificates(certificate)),
            new ByteArrayInputStream(privateKey(key)));
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

  /** The PEM's bytes, refused unless they hold a PKCS#8 private key (EC, RSA or Ed25519). */
  private static byte[] privateKey(Pem pem) {
    byte[] bytes = pem.read();
    var match = PKCS8.matcher(new String(bytes, StandardCharsets.US_ASCII));
    if (match.find()) {
      try {
        var spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(match.group(1)));
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
          try {
            KeyFactory.getInstance(algorithm).generatePrivate(spec);
            return bytes;
          } catch (GeneralSecurityException notThisOne) {
            // try the next algorithm
          }
        }
      } catch (IllegalArgumentException badBase64) {
        // refused below
      }
    }
    throw invalid(
        pem.setting(),
        pem.where()
            + " holds no PEM private key in PKCS#8 (-----BEGIN PRIVATE KEY-----; convert with"
            + " openssl pkcs8 -topk8 -nocrypt)");
  }

  private static StockledgerException invalid(String setting, String description) {
    return StockledgerException.local(Status.Code.INVALID_ARGUMENT, "INVALID_VALUE", setting, description);
  }

  private static StockledgerException missing(String setting) {
    return StockledgerException.local(
        Status.Code.INVALID_ARGUMENT, "MISSING_REQUIRED_PARAMETER", setting, setting + " is required");
  }
}
