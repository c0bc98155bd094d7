//! One line of JSON Lines: a message in the proto's JSON mapping (through `prost-reflect`
//! over the crate's descriptor set), and a line read back, refused when an object holds a
//! key twice.

use std::sync::LazyLock;

use prost_reflect::{DescriptorPool, DynamicMessage};

use super::{FileMessage, RowError};
use crate::proto::FILE_DESCRIPTOR_SET;

static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(FILE_DESCRIPTOR_SET).expect("the crate's descriptor set decodes")
});

/// The message as one line of JSON (the proto's JSON mapping, no line break).
pub fn to_json<M: FileMessage>(message: &M) -> String {
    let descriptor = POOL
        .get_message_by_name(M::NAME)
        .expect("a message of the descriptor set");
    let dynamic = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .expect("a message re-decodes through its own descriptor");
    serde_json::to_string(&dynamic).expect("a message serializes")
}

/// One line of JSON as the message. A key that an object holds twice — also as the
/// field's two names, `catalogObjectId` and `catalog_object_id` — refuses the line naming
/// it, as the HTTP doors refuse it: which of the two values was meant cannot be known.
pub fn from_json<M: FileMessage>(line: &str) -> Result<M, RowError> {
    let descriptor = POOL
        .get_message_by_name(M::NAME)
        .expect("a message of the descriptor set");
    if let Some((path, key)) = repeated_key(line) {
        return Err(RowError::new(
            &path,
            format!("duplicate key {key:?}: a field may appear once in an object"),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_str(line);
    let dynamic = DynamicMessage::deserialize(descriptor, &mut deserializer)
        .map_err(|e| RowError::new("", format!("not a {}: {e}", M::NAME)))?;
    deserializer
        .end()
        .map_err(|e| RowError::new("", format!("trailing characters: {e}")))?;
    dynamic
        .transcode_to::<M>()
        .map_err(|e| RowError::new("", e.to_string()))
}

/// The first key of `line` that an object holds twice, with its path (`adjustment.quantity`,
/// `countryHarmonizedSystemCodes[1].countryCode`): keys are compared by the proto field they
/// name (`catalog_object_id` is `catalogObjectId`). `None` when there is none, or when the
/// line is not JSON (reading it as the message then says why).
fn repeated_key(line: &str) -> Option<(String, String)> {
    let mut found = None;
    let mut path = Vec::new();
    let walk = KeyWalk {
        path: &mut path,
        found: &mut found,
    };
    let mut deserializer = serde_json::Deserializer::from_str(line);
    serde::de::DeserializeSeed::deserialize(walk, &mut deserializer).ok();
    found
}

/// The proto JSON name of a key: `snake_case` as lowerCamelCase, other keys unchanged.
fn json_name(key: &str) -> String {
    let mut name = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            name.extend(c.to_uppercase());
            upper = false;
        } else {
            name.push(c);
        }
    }
    name
}

/// Walks a JSON value, stopping at the first object key seen twice (recorded in `found`
/// with the path to it).
struct KeyWalk<'a> {
    path: &'a mut Vec<String>,
    found: &'a mut Option<(String, String)>,
}

impl<'de> serde::de::DeserializeSeed<'de> for KeyWalk<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeyWalk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(json_name(&key)) {
                let mut path = self.path.clone();
                path.push(key.clone());
                *self.found = Some((path.join("."), key));
                return Err(serde::de::Error::custom("duplicate key"));
            }
            self.path.push(key);
            map.next_value_seed(KeyWalk {
                path: self.path,
                found: self.found,
            })?;
            self.path.pop();
        }
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            let last = self.path.pop().unwrap_or_default();
            self.path.push(format!("{last}[{index}]"));
            let more = seq.next_element_seed(KeyWalk {
                path: self.path,
                found: self.found,
            })?;
            self.path.pop();
            self.path.push(last);
            if more.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::v1 as pb;

    #[test]
    fn a_key_twice_in_one_object_is_found_with_its_path() {
        let found = |line: &str| repeated_key(line).map(|(path, _)| path);
        let table: &[(&str, Option<&str>)] = &[
            (r#"{"sku":"A","cost":"1"}"#, None),
            (r#"{"sku":"A","sku":"B"}"#, Some("sku")),
            (
                r#"{"adjustment":{"quantity":"1","id":"x","quantity":"2"}}"#,
                Some("adjustment.quantity"),
            ),
            (
                r#"{"catalogObjectId":"a","catalog_object_id":"b"}"#,
                Some("catalog_object_id"),
            ),
            (
                r#"{"countryHarmonizedSystemCodes":[{"countryCode":"FR"},{"countryCode":"FR","countryCode":"DE"}]}"#,
                Some("countryHarmonizedSystemCodes[1].countryCode"),
            ),
            (r#"{"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]}"#, None),
            (r#"{"sku":"A""#, None),
            ("not json", None),
        ];
        for (line, expected) in table {
            assert_eq!(found(line).as_deref(), *expected, "{line}");
        }
    }

    #[test]
    fn a_line_with_a_key_twice_is_refused_naming_it() {
        let refused =
            from_json::<pb::InventoryItem>(r#"{"sku":"A","cost":"1","sku":"B"}"#).unwrap_err();
        assert_eq!(refused.column, "sku");
        assert!(
            refused.reason.contains("duplicate key \"sku\""),
            "{}",
            refused.reason
        );
        let item = from_json::<pb::InventoryItem>(r#"{"sku":"A","cost":"1"}"#).unwrap();
        assert_eq!(item.sku, "A");
    }
}
