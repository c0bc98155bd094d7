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
        ]
    }
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
        manager
            .create_table(
                Table::create()
                    .table(Merchants::Table)
                    .col(
                        ColumnDef::new(Merchants::Id)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Merchants::Name)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Merchants::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Locations::Table)
                    .col(
                        ColumnDef::new(Locations::Id)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Locations::MerchantId).string().not_null())
                    .col(ColumnDef::new(Locations::Name).string().not_null())
                    .col(ColumnDef::new(Locations::Status).string().not_null())
                    .col(ColumnDef::new(Locations::Description).text().not_null())
                    .col(
                        ColumnDef::new(Locations::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Locations::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Locations::Table, Locations::MerchantId)
                            .to(Merchants::Table, Merchants::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("locations_merchant_name_key")
                    .table(Locations::Table)
                    .col(Locations::MerchantId)
                    .col(Locations::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("locations_merchant_id_idx")
                    .table(Locations::Table)
                    .col(Locations::MerchantId)
                    .col(Locations::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InventoryItems::Table)
                    .col(
                        ColumnDef::new(InventoryItems::Id)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(InventoryItems::MerchantId)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(InventoryItems::Sku).string().not_null())
                    .col(
                        ColumnDef::new(InventoryItems::CostUnits)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(InventoryItems::CountryCodeOfOrigin)
                            .string()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(InventoryItems::ProvinceCodeOfOrigin)
                            .string()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(InventoryItems::HarmonizedSystemCode)
                            .string()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(InventoryItems::CountryHarmonizedSystemCodes)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(InventoryItems::Tracked).boolean().not_null())
                    .col(
                        ColumnDef::new(InventoryItems::RequiresShipping)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InventoryItems::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InventoryItems::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InventoryItems::Table, InventoryItems::MerchantId)
                            .to(Merchants::Table, Merchants::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inventory_items_merchant_sku_key")
                    .table(InventoryItems::Table)
                    .col(InventoryItems::MerchantId)
                    .col(InventoryItems::Sku)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inventory_items_merchant_id_idx")
                    .table(InventoryItems::Table)
                    .col(InventoryItems::MerchantId)
                    .col(InventoryItems::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inventory_items_merchant_updated_idx")
                    .table(InventoryItems::Table)
                    .col(InventoryItems::MerchantId)
                    .col(InventoryItems::UpdatedAt)
                    .to_owned(),
            )
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

fn text(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).string().not_null().to_owned()
}

fn bigint(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for CreateLedger {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use InventoryChanges as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(
                        ColumnDef::new(C::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(bigint(C::FeedSeq))
                    .col(text(C::Id).unique_key().to_owned())
                    .col(text(C::MerchantId))
                    .col(text(C::ChangeType))
                    .col(text(C::CatalogObjectId))
                    .col(text(C::LocationId))
                    .col(ColumnDef::new(C::ToLocationId).string().null())
                    .col(ColumnDef::new(C::FromState).string().null())
                    .col(text(C::ToState))
                    .col(bigint(C::QuantityUnits))
                    .col(ColumnDef::new(C::TotalPriceUnits).big_integer().null())
                    .col(ColumnDef::new(C::TotalPriceCurrency).string().null())
                    .col(bigint(C::OccurredAt))
                    .col(bigint(C::CreatedAt))
                    .col(text(C::SourceProduct))
                    .col(text(C::SourceApplicationId))
                    .col(text(C::SourceName))
                    .col(text(C::ReferenceId))
                    .col(text(C::EmployeeId))
                    .col(text(C::TeamMemberId))
                    .col(text(C::TransactionId))
                    .col(text(C::RefundId))
                    .col(text(C::PurchaseOrderId))
                    .col(text(C::GoodsReceiptId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(C::Table, C::MerchantId)
                            .to(Merchants::Table, Merchants::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inventory_changes_history_idx")
                    .table(C::Table)
                    .col(C::MerchantId)
                    .col(C::OccurredAt)
                    .col(C::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inventory_changes_feed_key")
                    .table(C::Table)
                    .col(C::MerchantId)
                    .col(C::FeedSeq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inventory_changes_item_idx")
                    .table(C::Table)
                    .col(C::MerchantId)
                    .col(C::CatalogObjectId)
                    .col(C::OccurredAt)
                    .to_owned(),
            )
            .await?;

        use InventoryEntries as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(bigint(E::ChangeSeq))
                    .col(text(E::MerchantId))
                    .col(text(E::CatalogObjectId))
                    .col(text(E::LocationId))
                    .col(text(E::State))
                    .col(text(E::Effect))
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
            .create_index(
                Index::create()
                    .name("inventory_entries_count_idx")
                    .table(E::Table)
                    .col(E::MerchantId)
                    .col(E::CatalogObjectId)
                    .col(E::LocationId)
                    .col(E::State)
                    .col(E::OccurredAt)
                    .col(E::ChangeSeq)
                    .to_owned(),
            )
            .await?;

        use InventoryCounts as N;
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .col(text(N::MerchantId))
                    .col(text(N::CatalogObjectId))
                    .col(text(N::LocationId))
                    .col(text(N::State))
                    .col(bigint(N::QuantityUnits))
                    .col(bigint(N::CalculatedAt))
                    .col(ColumnDef::new(N::AnchorOccurredAt).big_integer().null())
                    .col(ColumnDef::new(N::AnchorSeq).big_integer().null())
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
            .create_index(
                Index::create()
                    .name("inventory_counts_calculated_idx")
                    .table(N::Table)
                    .col(N::MerchantId)
                    .col(N::CalculatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MerchantFeeds::Table)
                    .col(text(MerchantFeeds::MerchantId).primary_key().to_owned())
                    .col(bigint(MerchantFeeds::LastSeq))
                    .to_owned(),
            )
            .await?;
        use InventoryCountUpdates as U;
        manager
            .create_table(
                Table::create()
                    .table(U::Table)
                    .col(text(U::MerchantId))
                    .col(bigint(U::FeedSeq))
                    .col(ColumnDef::new(U::Ordinal).integer().not_null())
                    .col(text(U::CatalogObjectId))
                    .col(text(U::LocationId))
                    .col(text(U::State))
                    .col(ColumnDef::new(U::PreviousUnits).big_integer().null())
                    .col(bigint(U::QuantityUnits))
                    .col(bigint(U::CalculatedAt))
                    .col(text(U::ChangeId))
                    .col(text(U::ChangeType))
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
                    .col(text(K::MerchantId))
                    .col(text(K::IdempotencyKey))
                    .col(text(K::RequestDigest))
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
                    .col(text(T::Id).primary_key().to_owned())
                    .col(text(T::MerchantId))
                    .col(text(T::SecretDigest))
                    .col(text(T::Scopes))
                    .col(text(T::ApplicationId))
                    .col(text(T::ApplicationName))
                    .col(bigint(T::CreatedAt))
                    .col(ColumnDef::new(T::RevokedAt).big_integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(T::Table, T::MerchantId)
                            .to(Merchants::Table, Merchants::Id),
                    )
                    .to_owned(),
            )
            .await
    }
}
