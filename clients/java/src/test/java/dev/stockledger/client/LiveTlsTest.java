package dev.stockledger.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static stockledger.v1.Inventory.InventoryState.INVENTORY_STATE_IN_STOCK;
import static stockledger.v1.Inventory.InventoryState.INVENTORY_STATE_NONE;

import io.grpc.Status;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * StockledgerClient.builder's TLS settings against the server over mutual TLS that
 * scripts/clients-test.sh starts ({@code STOCKLEDGER_TLS_ADDR}, {@code _TOKEN}, {@code _CA},
 * {@code _CERT}, {@code _KEY}, {@code _DIR}; the tests fail without them): with the test CA and a
 * client certificate it signed, calls are served; without a certificate, with another CA's, or
 * not trusting the server's, the first call fails with {@code UNAVAILABLE}. And settings the
 * builder refuses before connecting.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LiveTlsTest {
  private static String required(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      fail(
          name
              + " is not set: these tests need the server over mutual TLS and its test CA's files"
              + " (STOCKLEDGER_TLS_ADDR, _TOKEN, _CA, _CERT, _KEY, _DIR); scripts/clients-test.sh"
              + " sets them");
    }
    return value;
  }

  private static StockledgerClient.Builder tlsServer() {
    return StockledgerClient.builder(required("STOCKLEDGER_TLS_ADDR"), required("STOCKLEDGER_TLS_TOKEN"));
  }

  private static Path file(String name) {
    return Path.of(required("STOCKLEDGER_TLS_DIR"), name);
  }

  private static Path ca() {
    return Path.of(required("STOCKLEDGER_TLS_CA"));
  }

  private static Path cert() {
    return Path.of(required("STOCKLEDGER_TLS_CERT"));
  }

  private static Path key() {
    return Path.of(required("STOCKLEDGER_TLS_KEY"));
  }

  @Test
  void aClientWithTheCaAndACertificateItSignedIsServed() {
    try (var client = tlsServer().trustedCertificates(ca()).clientCertificate(cert(), key()).build()) {
      var location = client.createLocation("Java TLS shop " + UUID.randomUUID());
      var item = client.createItem("MUG-TLS-" + UUID.randomUUID());
      client.batchChange(
          "tls-" + item.id(),
          Changes.adjustment(
              item.id(), location.id(), INVENTORY_STATE_NONE, INVENTORY_STATE_IN_STOCK, new BigDecimal("12")));
      var counts = client.counts(item.id());
      assertEquals(1, counts.size(), counts.toString());
      assertEquals(location.id(), counts.get(0).locationId());
      assertEquals(0, new BigDecimal("12").compareTo(counts.get(0).quantity()), counts.toString());
      assertEquals(location, client.getLocation(location.id()));
    }
  }

  @Test
  void thePemsCanBeGivenAsBytesAndTheServerNameApartFromTheAddress() throws IOException {
    try (var client =
        tlsServer()
            .trustedCertificates(Files.readAllBytes(ca()))
            .clientCertificate(Files.readAllBytes(cert()), Files.readAllBytes(key()))
            .serverName("localhost")
            .build()) {
      var location = client.createLocation("Java TLS bytes shop " + UUID.randomUUID());
      assertEquals(location, client.getLocation(location.id()));
    }
  }

  /** Fails unless the first call over these settings fails with the transport's UNAVAILABLE. */
  private static void refused(UnaryOperator<StockledgerClient.Builder> settings) {
    try (var client = settings.apply(tlsServer()).build()) {
      var e =
          assertThrows(
              StockledgerException.class,
              () -> client.createLocation("Java refused " + UUID.randomUUID()));
      assertEquals(Status.Code.UNAVAILABLE, e.code(), e.toString());
      assertFalse(e.isLocal(), e.toString());
    }
  }

  @Test
  void aClientWithoutACertificateIsRefused() {
    refused(b -> b.trustedCertificates(ca()));
  }

  @Test
  void aClientWithAnotherCasCertificateIsRefused() {
    refused(
        b -> b.trustedCertificates(ca()).clientCertificate(file("other-client.pem"), file("other-client.key")));
  }

  @Test
  void aClientThatDoesNotTrustTheServerIsRefused() {
    refused(b -> b.trustedCertificates(file("other-ca.pem")).clientCertificate(cert(), key()));
    // The system's authorities do not know the test CA either.
    refused(b -> b.tls().clientCertificate(cert(), key()));
  }

  @Test
  void plaintextToTheTlsServerIsRefused() {
    try (var client = tlsServer().build()) {
      var e =
          assertThrows(
              StockledgerException.class,
              () -> client.createLocation("Java plaintext " + UUID.randomUUID()));
      // grpc-java reads the server's TLS alert as a malformed HTTP/2 frame: INTERNAL, not
      // UNAVAILABLE; either way the call fails in the transport, not in the client's checks.
      assertTrue(
          e.code() == Status.Code.INTERNAL || e.code() == Status.Code.UNAVAILABLE, e.toString());
      assertFalse(e.isLocal(), e.toString());
    }
  }

  @Test
  void settingsThatCannotWorkAreRefusedNamingTheSetting(@org.junit.jupiter.api.io.TempDir Path dir)
      throws IOException {
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a PEM\n");
    Path ecKey =
        Files.writeString(
            dir.resolve("sec1.key"), "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
    byte[] certificate = Files.readAllBytes(cert());
    record Case(UnaryOperator<StockledgerClient.Builder> settings, String field) {}
    for (Case c :
        List.of(
            new Case(b -> b.trustedCertificates(garbage), "trustedCertificates"),
            new Case(b -> b.trustedCertificates(dir.resolve("missing.pem")), "trustedCertificates"),
            new Case(
                b -> b.clientCertificate(garbage, garbage), "clientCertificate.certificateChain"),
            new Case(b -> b.clientCertificate(cert(), ecKey), "clientCertificate.privateKey"),
            new Case(b -> b.clientCertificate(certificate, new byte[0]), "clientCertificate.privateKey"),
            new Case(
                b -> b.clientCertificate(cert(), file("other-client.key")), "clientCertificate.privateKey"))) {
      var e =
          assertThrows(
              StockledgerException.class,
              () -> c.settings().apply(StockledgerClient.builder("127.0.0.1:1", "token")).build());
      assertEquals(Status.Code.INVALID_ARGUMENT, e.code(), e.toString());
      assertEquals("INVALID_VALUE", e.reason(), e.toString());
      assertEquals(c.field(), e.field().orElse(""), e.toString());
      assertTrue(e.isLocal());
    }
  }
}
