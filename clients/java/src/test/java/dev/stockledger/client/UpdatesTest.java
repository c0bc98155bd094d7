package dev.stockledger.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import stockledger.v1.InventoryItemOuterClass.UpdateInventoryItemRequest;
import stockledger.v1.LocationOuterClass.LocationStatus;
import stockledger.v1.LocationOuterClass.UpdateLocationRequest;

/** The requests LocationUpdate and ItemUpdate build, without a server: the mask is what was set. */
class UpdatesTest {
  private static final String ID = "0190a9d2-6f1e-7c3b-9a4e-2b5c8d7e6f10";

  @Test
  void aLocationUpdateMasksExactlyTheFieldsSetEmptyAndFalseIncluded() {
    UpdateLocationRequest request =
        LocationUpdate.of(ID)
            .description("")
            .forbidNegativeCounts(false)
            .description("")
            .toRequest();
    assertEquals(
        List.of("description", "forbid_negative_counts"), request.getUpdateMask().getPathsList());
    assertEquals(ID, request.getLocation().getId());
    assertEquals("", request.getLocation().getName(), "a field not set is not sent");
  }

  @Test
  void anItemUpdateMasksExactlyTheFieldsSet() {
    UpdateInventoryItemRequest request =
        ItemUpdate.of(ID).tracked(false).cost(new BigDecimal("7.50")).toRequest();
    assertEquals(List.of("tracked", "cost"), request.getUpdateMask().getPathsList());
    assertEquals("7.5", request.getInventoryItem().getCost());
    assertTrue(request.getInventoryItem().hasTracked());
    assertEquals(
        List.of("cost"), ItemUpdate.of(ID).clearCost().toRequest().getUpdateMask().getPathsList());
  }

  @Test
  void whatCannotBeSentIsRefusedLocallyNamingTheField() {
    StockledgerException noId = assertThrows(StockledgerException.class, () -> ItemUpdate.of(" "));
    assertTrue(noId.isLocal());
    assertEquals("MISSING_REQUIRED_PARAMETER", noId.reason());
    assertEquals(Optional.of("inventory_item.id"), noId.field());
    StockledgerException status =
        assertThrows(
            StockledgerException.class,
            () -> LocationUpdate.of(ID).status(LocationStatus.UNRECOGNIZED));
    assertEquals(Optional.of("location.status"), status.field());
    StockledgerException nothing =
        assertThrows(StockledgerException.class, () -> ItemUpdate.of(ID).toRequest());
    assertEquals("INVALID_FIELD_MASK", nothing.reason());
    assertEquals(Optional.of("update_mask"), nothing.field());
  }
}
