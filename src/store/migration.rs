//! Schema migrations, embedded in the binary and applied by `serve` and `migrate`.
//!
//! Every table carries `merchant_id` from the start. Times are `BIGINT` microseconds since
//! the Unix epoch and money is `BIGINT` fixed-point (10⁻⁵ units), so both backends store
//! exactly the same values.

use sea_orm_migration::prelude::*;

/// The ordered list of migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateCatalog),
            Box::new(CreateLedger),
            Box::new(CreateApiTokens),
            Box::new(CreateServerSecrets),
            Box::new(TokenExpiry),
            Box::new(OptionalSku),
            Box::new(LocationNegativeGuard),
            Box::new(CreateReservations),
            Box::new(CountCheckpoints),
            Box::new(AdjustmentReasons),
            Box::new(SharedSkus),
            Box::new(ReorderPointsAndAlerts),
            Box::new(CreateWebhookSubscriptions),
        ]
    }
}

/// `name VARCHAR NOT NULL`: ids, names, codes, states.
fn string(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).string().not_null().to_owned()
}

/// `name VARCHAR NULL`.
fn opt_string(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).string().null().to_owned()
}

/// `name TEXT NOT NULL`: free-form text and JSON documents, of no set length.
fn long_text(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).text().not_null().to_owned()
}

/// `name BIGINT NOT NULL`: times in microseconds, fixed-point units, sequences.
fn bigint(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

/// `name BIGINT NULL`.
fn opt_bigint(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}

/// `name BOOLEAN NOT NULL`.
fn boolean(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).boolean().not_null().to_owned()
}

/// `table.column` references `merchants.id`.
fn of_merchant(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Merchants::Table, Merchants::Id)
        .to_owned()
}

/// A plain index called `name` on `columns` of `table`, in that order.
fn index<C: IntoIndexColumn>(
    name: &str,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    index
}

/// A unique index called `name` on `columns` of `table`, in that order.
fn unique_index<C: IntoIndexColumn>(
    name: &str,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    index(name, table, columns).unique().to_owned()
}

/// Merchants, locations and inventory items.
struct CreateCatalog;

impl MigrationName for CreateCatalog {
    fn name(&self) -> &str {
        "m20261124_000001_create_catalog"
    }
}

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Locations {
    Table,
    Id,
    MerchantId,
    Name,
    Status,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InventoryItems {
    Table,
    Id,
    MerchantId,
    Sku,
    CostUnits,
    CountryCodeOfOrigin,
    ProvinceCodeOfOrigin,
    HarmonizedSystemCode,
    CountryHarmonizedSystemCodes,
    Tracked,
    RequiresShipping,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCatalog {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use InventoryItems as I;
        use Locations as L;
        use Merchants as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(string(M::Id).primary_key())
                    .col(string(M::Name).unique_key())
                    .col(bigint(M::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(string(L::Id).primary_key())
                    .col(string(L::MerchantId))
                    .col(string(L::Name))
                    .col(string(L::Status))
                    .col(long_text(L::Description))
                    .col(bigint(L::CreatedAt))
                    .col(bigint(L::UpdatedAt))
                    .foreign_key(&mut of_merchant(L::Table, L::MerchantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "locations_merchant_name_key",
                L::Table,
                [L::MerchantId, L::Name],
            ))
            .await?;
        manager
            .create_index(index(
                "locations_merchant_id_idx",
                L::Table,
                [L::MerchantId, L::Id],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(string(I::Id).primary_key())
                    .col(string(I::MerchantId))
                    .col(string(I::Sku))
                    .col(opt_bigint(I::CostUnits))
                    .col(opt_string(I::CountryCodeOfOrigin))
                    .col(opt_string(I::ProvinceCodeOfOrigin))
                    .col(opt_string(I::HarmonizedSystemCode))
                    .col(long_text(I::CountryHarmonizedSystemCodes))
                    .col(boolean(I::Tracked))
                    .col(boolean(I::RequiresShipping))
                    .col(bigint(I::CreatedAt))
                    .col(bigint(I::UpdatedAt))
                    .foreign_key(&mut of_merchant(I::Table, I::MerchantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "inventory_items_merchant_sku_key",
                I::Table,
                [I::MerchantId, I::Sku],
            ))
            .await?;
        manager
            .create_index(index(
                "inventory_items_merchant_id_idx",
                I::Table,
                [I::MerchantId, I::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "inventory_items_merchant_updated_idx",
                I::Table,
                [I::MerchantId, I::UpdatedAt],
            ))
            .await
    }
}

/// The ledger: changes, their effects on counts, materialized counts, idempotency keys.
struct CreateLedger;

impl MigrationName for CreateLedger {
    fn name(&self) -> &str {
        "m20261124_000002_create_ledger"
    }
}

#[derive(DeriveIden)]
enum InventoryChanges {
    Table,
    Seq,
    FeedSeq,
    Id,
    MerchantId,
    ChangeType,
    CatalogObjectId,
    LocationId,
    ToLocationId,
    FromState,
    ToState,
    QuantityUnits,
    TotalPriceUnits,
    TotalPriceCurrency,
    OccurredAt,
    CreatedAt,
    SourceProduct,
    SourceApplicationId,
    SourceName,
    ReferenceId,
    EmployeeId,
    TeamMemberId,
    TransactionId,
    RefundId,
    PurchaseOrderId,
    GoodsReceiptId,
}

#[derive(DeriveIden)]
enum InventoryEntries {
    Table,
    ChangeSeq,
    MerchantId,
    CatalogObjectId,
    LocationId,
    State,
    Effect,
    QuantityUnits,
    OccurredAt,
}

#[derive(DeriveIden)]
enum InventoryCounts {
    Table,
    MerchantId,
    CatalogObjectId,
    LocationId,
    State,
    QuantityUnits,
    CalculatedAt,
    AnchorOccurredAt,
    AnchorSeq,
}

#[derive(DeriveIden)]
enum MerchantFeeds {
    Table,
    MerchantId,
    LastSeq,
}

#[derive(DeriveIden)]
enum InventoryCountUpdates {
    Table,
    MerchantId,
    FeedSeq,
    Ordinal,
    CatalogObjectId,
    LocationId,
    State,
    PreviousUnits,
    QuantityUnits,
    CalculatedAt,
    ChangeId,
    ChangeType,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    MerchantId,
    IdempotencyKey,
    RequestDigest,
    Response,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateLedger {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use InventoryChanges as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(bigint(C::Seq).auto_increment().primary_key())
                    .col(bigint(C::FeedSeq))
                    .col(string(C::Id).unique_key())
                    .col(string(C::MerchantId))
                    .col(string(C::ChangeType))
                    .col(string(C::CatalogObjectId))
                    .col(string(C::LocationId))
                    .col(opt_string(C::ToLocationId))
                    .col(opt_string(C::FromState))
                    .col(string(C::ToState))
                    .col(bigint(C::QuantityUnits))
                    .col(opt_bigint(C::TotalPriceUnits))
                    .col(opt_string(C::TotalPriceCurrency))
                    .col(bigint(C::OccurredAt))
                    .col(bigint(C::CreatedAt))
                    .col(string(C::SourceProduct))
                    .col(string(C::SourceApplicationId))
                    .col(string(C::SourceName))
                    .col(string(C::ReferenceId))
                    .col(string(C::EmployeeId))
                    .col(string(C::TeamMemberId))
                    .col(string(C::TransactionId))
                    .col(string(C::RefundId))
                    .col(string(C::PurchaseOrderId))
                    .col(string(C::GoodsReceiptId))
                    .foreign_key(&mut of_merchant(C::Table, C::MerchantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "inventory_changes_history_idx",
                C::Table,
                [C::MerchantId, C::OccurredAt, C::Seq],
            ))
            .await?;
        manager
            .create_index(unique_index(
                "inventory_changes_feed_key",
                C::Table,
                [C::MerchantId, C::FeedSeq],
            ))
            .await?;
        manager
            .create_index(index(
                "inventory_changes_item_idx",
                C::Table,
                [C::MerchantId, C::CatalogObjectId, C::OccurredAt],
            ))
            .await?;

        use InventoryEntries as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(bigint(E::ChangeSeq))
                    .col(string(E::MerchantId))
                    .col(string(E::CatalogObjectId))
                    .col(string(E::LocationId))
                    .col(string(E::State))
                    .col(string(E::Effect))
                    .col(bigint(E::QuantityUnits))
                    .col(bigint(E::OccurredAt))
                    .primary_key(
                        Index::create()
                            .col(E::ChangeSeq)
                            .col(E::LocationId)
                            .col(E::State),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(E::Table, E::ChangeSeq)
                            .to(C::Table, C::Seq),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "inventory_entries_count_idx",
                E::Table,
                [
                    E::MerchantId,
                    E::CatalogObjectId,
                    E::LocationId,
                    E::State,
                    E::OccurredAt,
                    E::ChangeSeq,
                ],
            ))
            .await?;

        use InventoryCounts as N;
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .col(string(N::MerchantId))
                    .col(string(N::CatalogObjectId))
                    .col(string(N::LocationId))
                    .col(string(N::State))
                    .col(bigint(N::QuantityUnits))
                    .col(bigint(N::CalculatedAt))
                    .col(opt_bigint(N::AnchorOccurredAt))
                    .col(opt_bigint(N::AnchorSeq))
                    .primary_key(
                        Index::create()
                            .col(N::MerchantId)
                            .col(N::CatalogObjectId)
                            .col(N::LocationId)
                            .col(N::State),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "inventory_counts_calculated_idx",
                N::Table,
                [N::MerchantId, N::CalculatedAt],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MerchantFeeds::Table)
                    .col(string(MerchantFeeds::MerchantId).primary_key())
                    .col(bigint(MerchantFeeds::LastSeq))
                    .to_owned(),
            )
            .await?;
        use InventoryCountUpdates as U;
        manager
            .create_table(
                Table::create()
                    .table(U::Table)
                    .col(string(U::MerchantId))
                    .col(bigint(U::FeedSeq))
                    .col(ColumnDef::new(U::Ordinal).integer().not_null())
                    .col(string(U::CatalogObjectId))
                    .col(string(U::LocationId))
                    .col(string(U::State))
                    .col(opt_bigint(U::PreviousUnits))
                    .col(bigint(U::QuantityUnits))
                    .col(bigint(U::CalculatedAt))
                    .col(string(U::ChangeId))
                    .col(string(U::ChangeType))
                    .primary_key(
                        Index::create()
                            .col(U::MerchantId)
                            .col(U::FeedSeq)
                            .col(U::Ordinal),
                    )
                    .to_owned(),
            )
            .await?;

        use IdempotencyKeys as K;
        manager
            .create_table(
                Table::create()
                    .table(K::Table)
                    .col(string(K::MerchantId))
                    .col(string(K::IdempotencyKey))
                    .col(string(K::RequestDigest))
                    .col(ColumnDef::new(K::Response).binary().null())
                    .col(bigint(K::CreatedAt))
                    .primary_key(Index::create().col(K::MerchantId).col(K::IdempotencyKey))
                    .to_owned(),
            )
            .await
    }
}

/// API tokens: bound to one merchant, a set of scopes and an application.
struct CreateApiTokens;

impl MigrationName for CreateApiTokens {
    fn name(&self) -> &str {
        "m20261124_000003_create_api_tokens"
    }
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    MerchantId,
    SecretDigest,
    Scopes,
    ApplicationId,
    ApplicationName,
    CreatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateApiTokens {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ApiTokens as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(string(T::Id).primary_key())
                    .col(string(T::MerchantId))
                    .col(string(T::SecretDigest))
                    .col(string(T::Scopes))
                    .col(string(T::ApplicationId))
                    .col(string(T::ApplicationName))
                    .col(bigint(T::CreatedAt))
                    .col(opt_bigint(T::RevokedAt))
                    .foreign_key(&mut of_merchant(T::Table, T::MerchantId))
                    .to_owned(),
            )
            .await
    }
}

/// Secrets every replica of a database shares, such as the key that signs cursors.
struct CreateServerSecrets;

impl MigrationName for CreateServerSecrets {
    fn name(&self) -> &str {
        "m20261127_000004_create_server_secrets"
    }
}

#[derive(DeriveIden)]
enum ServerSecrets {
    Table,
    Name,
    Secret,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateServerSecrets {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ServerSecrets as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(string(T::Name).primary_key())
                    .col(string(T::Secret))
                    .col(bigint(T::CreatedAt))
                    .to_owned(),
            )
            .await
    }
}

/// Tokens that expire: `api_tokens.expires_at`, µs, NULL for a token that never expires.
struct TokenExpiry;

impl MigrationName for TokenExpiry {
    fn name(&self) -> &str {
        "m20261127_000005_token_expiry"
    }
}

#[derive(DeriveIden)]
enum TokenExpiryColumns {
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for TokenExpiry {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .add_column(opt_bigint(TokenExpiryColumns::ExpiresAt))
                    .to_owned(),
            )
            .await
    }
}

/// SKUs become optional (Shopify's inventory items may have none) and stay unique per
/// merchant when present: an item without one stores the empty string, and the unique index
/// on (merchant_id, sku) becomes partial, leaving those rows out (`WHERE sku <> ''`, the
/// same on SQLite and PostgreSQL). The column stays NOT NULL, so no table is rebuilt.
struct OptionalSku;

impl MigrationName for OptionalSku {
    fn name(&self) -> &str {
        "m20261127_000006_optional_sku"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for OptionalSku {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One call, so both statements run on one connection, the second seeing the first
        // (on SQLite another pooled connection may still read the schema from before it).
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX inventory_items_merchant_sku_key; \
                 CREATE UNIQUE INDEX inventory_items_merchant_sku_key \
                 ON inventory_items (merchant_id, sku) WHERE sku <> ''",
            )
            .await?;
        Ok(())
    }
}

/// Locations may forbid negative counts by default: `locations.forbid_negative_counts`,
/// false for every existing location (their counts may go negative, as before).
struct LocationNegativeGuard;

impl MigrationName for LocationNegativeGuard {
    fn name(&self) -> &str {
        "m20261207_000007_location_negative_guard"
    }
}

#[derive(DeriveIden)]
enum LocationGuardColumns {
    ForbidNegativeCounts,
}

#[async_trait::async_trait]
impl MigrationTrait for LocationNegativeGuard {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Locations::Table)
                    .add_column(
                        boolean(LocationGuardColumns::ForbidNegativeCounts)
                            .default(false)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await
    }
}

/// Reservations (docs/reservations.md): `reservations` (one row per reservation, its state
/// machine and version), `reservation_lines` (what each line holds, committed and released),
/// and `inventory_changes.reservation_id` (the reservation whose step recorded a change;
/// empty for every other change, so existing rows need no rewrite).
struct CreateReservations;

impl MigrationName for CreateReservations {
    fn name(&self) -> &str {
        "m20261207_000008_create_reservations"
    }
}

#[derive(DeriveIden)]
enum Reservations {
    Table,
    Id,
    MerchantId,
    State,
    ReferenceId,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum ReservationLines {
    Table,
    ReservationId,
    LineNo,
    MerchantId,
    CatalogObjectId,
    LocationId,
    QuantityUnits,
    CommittedUnits,
    ReleasedUnits,
}

#[derive(DeriveIden)]
enum ReservationChangeColumns {
    ReservationId,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateReservations {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ReservationLines as L;
        use Reservations as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(string(R::Id).primary_key())
                    .col(string(R::MerchantId))
                    .col(string(R::State))
                    .col(string(R::ReferenceId))
                    .col(bigint(R::ExpiresAt))
                    .col(bigint(R::CreatedAt))
                    .col(bigint(R::UpdatedAt))
                    .col(bigint(R::Version))
                    .foreign_key(&mut of_merchant(R::Table, R::MerchantId))
                    .to_owned(),
            )
            .await?;
        // The expiry sweep's question: which held reservations are due.
        manager
            .create_index(index(
                "reservations_due_idx",
                R::Table,
                [R::State, R::ExpiresAt],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(string(L::ReservationId))
                    .col(ColumnDef::new(L::LineNo).integer().not_null())
                    .col(string(L::MerchantId))
                    .col(string(L::CatalogObjectId))
                    .col(string(L::LocationId))
                    .col(bigint(L::QuantityUnits))
                    .col(bigint(L::CommittedUnits))
                    .col(bigint(L::ReleasedUnits))
                    .primary_key(Index::create().col(L::ReservationId).col(L::LineNo))
                    .foreign_key(
                        ForeignKey::create()
                            .from(L::Table, L::ReservationId)
                            .to(R::Table, R::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(InventoryChanges::Table)
                    .add_column(
                        string(ReservationChangeColumns::ReservationId)
                            .default("")
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await
    }
}

/// Counts as of a moment (docs/ledger.md): checkpoints of each count's fold, the running
/// number of entries each count recorded since checkpoints exist (which places the next
/// one), and an index of the physical counts (Sets) alone, so that the latest Set at or
/// before a moment is one index seek however many deltas lie around it. A database from
/// before has no checkpoints: its counts answer as of a moment all the same, from their
/// latest Set, and gain checkpoints as they record new entries.
struct CountCheckpoints;

impl MigrationName for CountCheckpoints {
    fn name(&self) -> &str {
        "m20261207_000009_count_checkpoints"
    }
}

#[derive(DeriveIden)]
enum InventoryCheckpoints {
    Table,
    MerchantId,
    CatalogObjectId,
    LocationId,
    State,
    OccurredAt,
    ChangeSeq,
    QuantityUnits,
    BaseOccurredAt,
    BaseSeq,
}

#[derive(DeriveIden)]
enum InventoryCheckpointRuns {
    Table,
    MerchantId,
    CatalogObjectId,
    LocationId,
    State,
    Recorded,
}

#[async_trait::async_trait]
impl MigrationTrait for CountCheckpoints {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use InventoryCheckpoints as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(string(P::MerchantId))
                    .col(string(P::CatalogObjectId))
                    .col(string(P::LocationId))
                    .col(string(P::State))
                    .col(bigint(P::OccurredAt))
                    .col(bigint(P::ChangeSeq))
                    .col(bigint(P::QuantityUnits))
                    .col(opt_bigint(P::BaseOccurredAt))
                    .col(opt_bigint(P::BaseSeq))
                    .primary_key(
                        Index::create()
                            .col(P::MerchantId)
                            .col(P::CatalogObjectId)
                            .col(P::LocationId)
                            .col(P::State)
                            .col(P::OccurredAt)
                            .col(P::ChangeSeq),
                    )
                    .to_owned(),
            )
            .await?;
        use InventoryCheckpointRuns as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(string(R::MerchantId))
                    .col(string(R::CatalogObjectId))
                    .col(string(R::LocationId))
                    .col(string(R::State))
                    .col(bigint(R::Recorded))
                    .primary_key(
                        Index::create()
                            .col(R::MerchantId)
                            .col(R::CatalogObjectId)
                            .col(R::LocationId)
                            .col(R::State),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX inventory_entries_set_idx ON inventory_entries \
                 (merchant_id, catalog_object_id, location_id, state, occurred_at, change_seq) \
                 WHERE effect = 'SET'",
            )
            .await?;
        Ok(())
    }
}

/// Adjustment reasons (docs/ledger.md, "Reasons"): `inventory_adjustment_reasons` (the
/// merchants' custom reasons, soft-deleted, with the idempotency key that created each),
/// and on `inventory_changes` the reason a change carries (`reason`: a type or
/// `CUSTOM:<id>`), a receipt's cost (`cost_units`, `cost_currency`) and `vendor_id`. Every
/// existing change carries none of them: empty strings and NULLs, no rewrite.
struct AdjustmentReasons;

impl MigrationName for AdjustmentReasons {
    fn name(&self) -> &str {
        "m20261207_000010_adjustment_reasons"
    }
}

#[derive(DeriveIden)]
enum InventoryAdjustmentReasons {
    Table,
    Id,
    MerchantId,
    Name,
    Direction,
    CreatedAt,
    UpdatedAt,
    IsDeleted,
    IdempotencyKey,
    RequestDigest,
}

#[derive(DeriveIden)]
enum ChangeReasonColumns {
    Reason,
    CostUnits,
    CostCurrency,
    VendorId,
}

#[async_trait::async_trait]
impl MigrationTrait for AdjustmentReasons {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use InventoryAdjustmentReasons as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(string(R::Id).primary_key())
                    .col(string(R::MerchantId))
                    .col(string(R::Name))
                    .col(string(R::Direction))
                    .col(bigint(R::CreatedAt))
                    .col(bigint(R::UpdatedAt))
                    .col(boolean(R::IsDeleted))
                    .col(string(R::IdempotencyKey))
                    .col(string(R::RequestDigest))
                    .foreign_key(&mut of_merchant(R::Table, R::MerchantId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "inventory_adjustment_reasons_key_idx",
                R::Table,
                [R::MerchantId, R::IdempotencyKey],
            ))
            .await?;
        manager
            .create_index(index(
                "inventory_adjustment_reasons_merchant_idx",
                R::Table,
                [R::MerchantId, R::CreatedAt],
            ))
            .await?;
        // Partial: a deleted reason's name may be taken again (both backends have them).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX inventory_adjustment_reasons_name_idx \
                 ON inventory_adjustment_reasons (merchant_id, name) WHERE NOT is_deleted",
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            string(ChangeReasonColumns::Reason).default("").to_owned(),
            opt_bigint(ChangeReasonColumns::CostUnits),
            opt_string(ChangeReasonColumns::CostCurrency),
            string(ChangeReasonColumns::VendorId).default("").to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(InventoryChanges::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// SKUs may repeat, as on Shopify (docs/items.md, "Why SKUs may repeat"): a SKU is an
/// item's label, not its key, so a real Shopify catalogue, where several inventory items may
/// share a SKU, imports whole. The partial unique index on (merchant_id, sku) of
/// `m20261127_000006_optional_sku` becomes a plain index on (merchant_id, sku, id), the
/// same on SQLite and PostgreSQL: the SKU filters look items up through it, and its `id`
/// gives them in page order, so neither database prefers walking all of the merchant's
/// items in id order (which both do, given a plain (merchant_id, sku) index and no
/// statistics). No row changes: every existing SKU was unique, which a plain index allows.
struct SharedSkus;

impl MigrationName for SharedSkus {
    fn name(&self) -> &str {
        "m20261207_000011_shared_skus"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SharedSkus {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One call, so both statements run on one connection, the second seeing the first
        // (as in `OptionalSku`).
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX inventory_items_merchant_sku_key; \
                 CREATE INDEX inventory_items_merchant_sku_idx \
                 ON inventory_items (merchant_id, sku, id)",
            )
            .await?;
        Ok(())
    }
}

/// Low-stock alerts (docs/alerts.md): `inventory_reorder_points`, one reorder point per
/// merchant × item × location (10⁻⁵ units, like the counts), and `inventory_alerts`, the
/// durable log behind WatchInventoryAlerts: every crossing of an IN_STOCK count below its
/// reorder point (LOW) and back above it (RECOVERED), keyed like `inventory_count_updates`
/// by the feed sequence of the change that caused it and an ordinal.
struct ReorderPointsAndAlerts;

impl MigrationName for ReorderPointsAndAlerts {
    fn name(&self) -> &str {
        "m20261207_000012_reorder_points_and_alerts"
    }
}

#[derive(DeriveIden)]
enum InventoryReorderPoints {
    Table,
    MerchantId,
    CatalogObjectId,
    LocationId,
    ReorderPointUnits,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InventoryAlerts {
    Table,
    MerchantId,
    FeedSeq,
    Ordinal,
    CatalogObjectId,
    LocationId,
    Kind,
    QuantityUnits,
    ReorderPointUnits,
    ChangeId,
    OccurredAt,
    CalculatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for ReorderPointsAndAlerts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use InventoryReorderPoints as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(string(P::MerchantId))
                    .col(string(P::CatalogObjectId))
                    .col(string(P::LocationId))
                    .col(bigint(P::ReorderPointUnits))
                    .col(bigint(P::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(P::MerchantId)
                            .col(P::CatalogObjectId)
                            .col(P::LocationId),
                    )
                    .foreign_key(&mut of_merchant(P::Table, P::MerchantId))
                    .to_owned(),
            )
            .await?;
        use InventoryAlerts as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(string(A::MerchantId))
                    .col(bigint(A::FeedSeq))
                    .col(ColumnDef::new(A::Ordinal).integer().not_null())
                    .col(string(A::CatalogObjectId))
                    .col(string(A::LocationId))
                    .col(string(A::Kind))
                    .col(bigint(A::QuantityUnits))
                    .col(bigint(A::ReorderPointUnits))
                    .col(string(A::ChangeId))
                    .col(bigint(A::OccurredAt))
                    .col(bigint(A::CalculatedAt))
                    .primary_key(
                        Index::create()
                            .col(A::MerchantId)
                            .col(A::FeedSeq)
                            .col(A::Ordinal),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

/// Webhook subscriptions (docs/webhooks.md): each is a position in its merchant's feed
/// (`delivered_seq`, and `delivered_events` of the change after it) with the state of its
/// deliveries. The notifications themselves are not stored: the feed's rows — written by
/// the group decision in the commit's transaction — are the outbox they are made from. A
/// replica claims a subscription for a while (`lease_owner`, `lease_until`) so that one
/// deliverer at a time sends its notifications, in order.
struct CreateWebhookSubscriptions;

impl MigrationName for CreateWebhookSubscriptions {
    fn name(&self) -> &str {
        "m20261208_000013_webhook_subscriptions"
    }
}

#[derive(DeriveIden)]
enum WebhookSubscriptions {
    Table,
    Id,
    MerchantId,
    Name,
    NotificationUrl,
    Format,
    EventTypes,
    ShopifyShopDomain,
    SignatureKey,
    State,
    DeliveredSeq,
    DeliveredEvents,
    FailedAttempts,
    LastError,
    NextAttemptAt,
    LeaseOwner,
    LeaseUntil,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateWebhookSubscriptions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WebhookSubscriptions as W;
        manager
            .create_table(
                Table::create()
                    .table(W::Table)
                    .col(string(W::Id).primary_key())
                    .col(string(W::MerchantId))
                    .col(string(W::Name))
                    .col(long_text(W::NotificationUrl))
                    .col(string(W::Format))
                    .col(string(W::EventTypes))
                    .col(string(W::ShopifyShopDomain))
                    .col(string(W::SignatureKey))
                    .col(string(W::State))
                    .col(bigint(W::DeliveredSeq))
                    .col(ColumnDef::new(W::DeliveredEvents).integer().not_null())
                    .col(ColumnDef::new(W::FailedAttempts).integer().not_null())
                    .col(long_text(W::LastError))
                    .col(bigint(W::NextAttemptAt))
                    .col(string(W::LeaseOwner))
                    .col(bigint(W::LeaseUntil))
                    .col(bigint(W::CreatedAt))
                    .col(bigint(W::UpdatedAt))
                    .foreign_key(&mut of_merchant(W::Table, W::MerchantId))
                    .to_owned(),
            )
            .await?;
        // A merchant's subscriptions, oldest first.
        manager
            .create_index(index(
                "webhook_subscriptions_merchant_idx",
                W::Table,
                [W::MerchantId, W::CreatedAt],
            ))
            .await?;
        // The deliverer's question: which subscriptions are due.
        manager
            .create_index(index(
                "webhook_subscriptions_due_idx",
                W::Table,
                [W::State, W::NextAttemptAt],
            ))
            .await
    }
}
