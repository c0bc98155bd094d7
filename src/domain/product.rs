//! The product that made a change (`SourceApplication.product`): Square's list of products,
//! plus this API's own name for a point of sale, as pure names.
//!
//! A change's source is stored by name (`ChangeSource::product`, e.g. `EXTERNAL_API`), so
//! the names below are part of the stored format: never rename one. [`Product::parse`]
//! reads a name as an importer would meet it — Square's (`SQUARE_POS`) or this API's enum
//! value name (`PRODUCT_SQUARE_POS`).

/// A known product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Product {
    /// A third-party application calling this API (every change made through it today).
    ExternalApi,
    /// The operator's own dashboard or tools.
    Dashboard,
    /// A point of sale of any vendor: this API's own name, kept apart from Square's.
    PointOfSale,
    /// Square Point of Sale.
    SquarePos,
    /// Square Billing.
    Billing,
    /// Square Appointments.
    Appointments,
    /// Square Invoices.
    Invoices,
    /// Square Online Store.
    OnlineStore,
    /// Square Payroll.
    Payroll,
    /// A bulk import of the item library.
    ItemLibraryImport,
    /// A known product that is none of the others.
    Other,
}

/// The prefix of the products' enum value names in the API (`PRODUCT_SQUARE_POS`).
pub const WIRE_PREFIX: &str = "PRODUCT_";

impl Product {
    /// Every product, in the API's enum order.
    pub const ALL: [Product; 11] = [
        Product::ExternalApi,
        Product::Dashboard,
        Product::PointOfSale,
        Product::SquarePos,
        Product::Billing,
        Product::Appointments,
        Product::Invoices,
        Product::OnlineStore,
        Product::Payroll,
        Product::ItemLibraryImport,
        Product::Other,
    ];

    /// The stored name, which is Square's name where Square has one (`SQUARE_POS`).
    pub fn as_str(self) -> &'static str {
        match self {
            Product::ExternalApi => "EXTERNAL_API",
            Product::Dashboard => "DASHBOARD",
            Product::PointOfSale => "POINT_OF_SALE",
            Product::SquarePos => "SQUARE_POS",
            Product::Billing => "BILLING",
            Product::Appointments => "APPOINTMENTS",
            Product::Invoices => "INVOICES",
            Product::OnlineStore => "ONLINE_STORE",
            Product::Payroll => "PAYROLL",
            Product::ItemLibraryImport => "ITEM_LIBRARY_IMPORT",
            Product::Other => "OTHER",
        }
    }

    /// A stored name back to its product; `None` for anything else (an unknown or empty
    /// name reads as unspecified).
    pub fn from_stored(name: &str) -> Option<Product> {
        Product::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// A product name as an import may carry it: the stored (Square's) name or the API's
    /// enum value name, exactly (upper case, no white space). `PRODUCT_UNSPECIFIED`, an
    /// empty or any other name is `None`.
    pub fn parse(name: &str) -> Option<Product> {
        Product::from_stored(name.strip_prefix(WIRE_PREFIX).unwrap_or(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_with_or_without_the_api_prefix() {
        let table: &[(&str, Option<Product>)] = &[
            ("SQUARE_POS", Some(Product::SquarePos)),
            ("PRODUCT_SQUARE_POS", Some(Product::SquarePos)),
            ("EXTERNAL_API", Some(Product::ExternalApi)),
            ("PRODUCT_EXTERNAL_API", Some(Product::ExternalApi)),
            ("DASHBOARD", Some(Product::Dashboard)),
            ("POINT_OF_SALE", Some(Product::PointOfSale)),
            ("PRODUCT_POINT_OF_SALE", Some(Product::PointOfSale)),
            ("BILLING", Some(Product::Billing)),
            ("APPOINTMENTS", Some(Product::Appointments)),
            ("INVOICES", Some(Product::Invoices)),
            ("ONLINE_STORE", Some(Product::OnlineStore)),
            ("PAYROLL", Some(Product::Payroll)),
            ("ITEM_LIBRARY_IMPORT", Some(Product::ItemLibraryImport)),
            (
                "PRODUCT_ITEM_LIBRARY_IMPORT",
                Some(Product::ItemLibraryImport),
            ),
            ("OTHER", Some(Product::Other)),
            ("PRODUCT_OTHER", Some(Product::Other)),
            ("", None),
            ("PRODUCT_", None),
            ("UNSPECIFIED", None),
            ("PRODUCT_UNSPECIFIED", None),
            ("square_pos", None),
            (" SQUARE_POS", None),
            ("PRODUCT_PRODUCT_SQUARE_POS", None),
            ("POS", None),
        ];
        for (name, expected) in table {
            assert_eq!(Product::parse(name), *expected, "{name:?}");
        }
    }

    #[test]
    fn every_product_round_trips_through_its_stored_name() {
        for product in Product::ALL {
            assert_eq!(Product::from_stored(product.as_str()), Some(product));
            assert_eq!(Product::parse(product.as_str()), Some(product));
            let wire = format!("{WIRE_PREFIX}{}", product.as_str());
            assert_eq!(Product::parse(&wire), Some(product));
        }
        let mut names: Vec<_> = Product::ALL.iter().map(|p| p.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Product::ALL.len(), "names are distinct");
    }
}
