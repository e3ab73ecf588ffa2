//! Agent class names: the built-in ones and those admins define.

/// The built-in classes, in `ClassId` order. The nginx layer numbers its
/// metric slots by this order, so new classes are appended, never inserted.
pub const BUILTIN_CLASSES: [&str; 11] = [
    "fediverse",
    "ai",
    "search",
    "seo",
    "preview",
    "tool",
    "empty",
    "other",
    "monitor",
    "feed",
    "bot",
];

/// Index of a class name in its `ClassRegistry`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId(pub u16);

impl ClassId {
    pub const FEDIVERSE: ClassId = ClassId(0);
    pub const AI: ClassId = ClassId(1);
    pub const SEARCH: ClassId = ClassId(2);
    pub const SEO: ClassId = ClassId(3);
    pub const PREVIEW: ClassId = ClassId(4);
    pub const TOOL: ClassId = ClassId(5);
    pub const EMPTY: ClassId = ClassId(6);
    pub const OTHER: ClassId = ClassId(7);
    /// Uptime checkers and site testers.
    pub const MONITOR: ClassId = ClassId(8);
    /// RSS and feed readers, podcast fetchers.
    pub const FEED: ClassId = ClassId(9);
    /// An automated agent the catalogue does not name, known by its signs
    /// (a `bot` word, a contact URL or e-mail, ...).
    pub const BOT: ClassId = ClassId(10);

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Most classes an admin can define; a class is a label, not a rule, so a
/// few hundred is far beyond any real configuration.
pub const MAX_CLASSES: usize = 1024;

/// Longest class name: it is written into logs and metric labels.
pub const MAX_CLASS_NAME: usize = 64;

/// The set of known class names.
#[derive(Clone, Debug)]
pub struct ClassRegistry {
    names: Vec<String>,
}

impl Default for ClassRegistry {
    fn default() -> Self {
        ClassRegistry {
            names: BUILTIN_CLASSES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl ClassRegistry {
    /// Returns the id of `name`, defining it when it is new.
    pub fn intern(&mut self, name: &str) -> Result<ClassId, String> {
        validate_class_name(name)?;
        if let Some(id) = self.lookup(name) {
            return Ok(id);
        }
        if self.names.len() >= MAX_CLASSES {
            return Err(format!("too many agent classes (at most {MAX_CLASSES})"));
        }
        self.names.push(name.to_string());
        Ok(ClassId((self.names.len() - 1) as u16))
    }

    pub fn lookup(&self, name: &str) -> Option<ClassId> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| ClassId(i as u16))
    }

    /// The name of a class; "other" for an id this registry never gave out.
    pub fn name(&self, id: ClassId) -> &str {
        self.names
            .get(id.index())
            .map(String::as_str)
            .unwrap_or("other")
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Class names are written unquoted into log lines and metric labels, so they
/// are kept to letters, digits, `_`, `-` and `.`.
pub fn validate_class_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty agent class name".into());
    }
    if name.len() > MAX_CLASS_NAME {
        return Err(format!(
            "agent class name \"{name}\" is longer than {MAX_CLASS_NAME} characters"
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(format!(
            "invalid agent class name \"{name}\": use letters, digits, \"_\", \"-\" and \".\""
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_have_fixed_ids() {
        let reg = ClassRegistry::default();
        for (i, name) in BUILTIN_CLASSES.iter().enumerate() {
            assert_eq!(reg.lookup(name), Some(ClassId(i as u16)));
        }
        assert_eq!(reg.name(ClassId::AI), "ai");
        assert_eq!(reg.name(ClassId::MONITOR), "monitor");
        assert_eq!(reg.name(ClassId::FEED), "feed");
        assert_eq!(reg.name(ClassId::BOT), "bot");
        assert_eq!(reg.name(ClassId(999)), "other");
    }

    #[test]
    fn intern_defines_once() {
        let mut reg = ClassRegistry::default();
        let a = reg.intern("friends").unwrap();
        // The first admin class follows the built-in ones.
        assert_eq!(a, ClassId(BUILTIN_CLASSES.len() as u16));
        assert_eq!(reg.intern("friends").unwrap(), a);
        assert_eq!(reg.intern("ai").unwrap(), ClassId::AI);
        assert_eq!(reg.len(), BUILTIN_CLASSES.len() + 1);
    }

    #[test]
    fn rejects_bad_names() {
        let mut reg = ClassRegistry::default();
        assert!(reg.intern("").is_err());
        assert!(reg.intern("has space").is_err());
        assert!(reg.intern("quote\"").is_err());
        assert!(reg.intern(&"x".repeat(65)).is_err());
        assert!(reg.intern("ok_name-1.2").is_ok());
    }
}
