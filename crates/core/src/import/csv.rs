//! A small RFC 4180 CSV reader: quoted fields with `""` escapes, commas and
//! line breaks inside quotes, `\n` or `\r\n` row ends.

/// The rows of `text`; `None` if a quoted field never ends.
pub(crate) fn parse(text: &str) -> Option<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return None;
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    Some(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_commas_and_lines() {
        let rows = parse("a,b\r\n\"x, \"\"y\"\"\",\"l1\nl2\"\n,\n").unwrap();
        assert_eq!(rows[0], vec!["a", "b"]);
        assert_eq!(rows[1], vec!["x, \"y\"", "l1\nl2"]);
        assert_eq!(rows[2], vec!["", ""]);
        assert_eq!(rows.len(), 3);
        assert!(parse("\"open").is_none());
    }
}
