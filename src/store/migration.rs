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
        vec![Box::new(CreateCatalog)]
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
