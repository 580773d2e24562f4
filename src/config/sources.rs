//! Where settings come from, for figment: the `WEAVE_*` variables handed over as text, and
//! errors that name the variable or file key they are about.
use std::collections::BTreeMap;

use figment::value::{Dict, Map, Value};
use figment::{Metadata, Profile, Provider};
use serde::Deserializer;

use super::Config;

/// The variables' prefix.
pub(super) const PREFIX: &str = "WEAVE_";

/// What figment calls the variables in its errors.
pub(super) const VARIABLES: &str = "WEAVE_* environment variables";

/// The `WEAVE_*` variables that name a setting, as text: a provider of figment's in place of
/// its `Env`, which reads values that look like numbers, flags or lists as such.
pub(super) struct Variables(BTreeMap<String, String>);

impl Variables {
    /// From `vars` (the process's environment, or a test's): the non-blank `WEAVE_<field>`
    /// ones, in any case. Others (`WEAVE_CONFIG`, `WEAVE_ADMIN_PASSWORD`) are not settings.
    pub(super) fn from(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let fields = field_names::<Config>();
        let settings = vars
            .into_iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .filter_map(|(name, value)| {
                let key = name
                    .get(..PREFIX.len())
                    .filter(|p| p.eq_ignore_ascii_case(PREFIX))
                    .map(|_| &name[PREFIX.len()..])?;
                let field = fields.iter().find(|f| f.eq_ignore_ascii_case(key))?;
                Some((field.to_string(), value))
            })
            .collect();
        Variables(settings)
    }
}

impl Provider for Variables {
    fn metadata(&self) -> Metadata {
        Metadata::named(VARIABLES)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict: Dict = self.0.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect();
        Ok(Profile::Default.collect(dict))
    }
}

/// figment's errors, each naming the variable or the file key it is about.
pub(super) fn explain(errors: figment::Error) -> anyhow::Error {
    let lines: Vec<String> = errors
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let from_variables = e.metadata.as_ref().is_some_and(|m| m.name == VARIABLES);
            let place = match (&e.metadata, key.is_empty()) {
                (_, true) => "configuration".to_string(),
                _ if from_variables => format!("{PREFIX}{}", key.to_ascii_uppercase()),
                (Some(m), false) => match &m.source {
                    Some(source) => format!("{key} in {source} ({PREFIX}{})", key.to_ascii_uppercase()),
                    None => format!("{key} ({PREFIX}{})", key.to_ascii_uppercase()),
                },
                (None, false) => format!("{PREFIX}{} ({key})", key.to_ascii_uppercase()),
            };
            format!("{place}: {}", e.kind)
        })
        .collect();
    anyhow::anyhow!("configuration: {}", lines.join("; "))
}

/// The field names of a struct that derives `Deserialize`, as serde hands them to a
/// deserializer: the settings a variable may name.
pub(super) fn field_names<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    /// A deserializer that only notes the fields it is asked for, then stops.
    struct Fields(Option<&'static [&'static str]>);
    impl<'de> Deserializer<'de> for &mut Fields {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("only the field names are read"))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(serde::de::Error::custom("only the field names are read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields = Fields(None);
    let _ = T::deserialize(&mut fields);
    fields.0.unwrap_or(&[])
}
