//! The few protobuf wire-format pieces Google Authenticator's migration
//! payload needs: varints and length-delimited fields, read and written.
//! The reader never panics and never reads past its input.

/// A field value as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    /// A fixed 32- or 64-bit value (kept as bytes; the payload has none).
    Fixed(&'a [u8]),
}

/// Reads `(field number, value)` pairs from a message.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

/// The message is cut short or uses a wire type protobuf does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WireError;

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn varint(&mut self) -> Result<u64, WireError> {
        let mut out = 0u64;
        for i in 0..10 {
            let (&b, rest) = self.rest.split_first().ok_or(WireError)?;
            self.rest = rest;
            out |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(out);
            }
        }
        Err(WireError)
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], WireError> {
        let n = usize::try_from(n).map_err(|_| WireError)?;
        if n > self.rest.len() {
            return Err(WireError);
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    /// The next field, or `None` at the end of the message.
    pub(crate) fn next_field(&mut self) -> Result<Option<(u64, Value<'a>)>, WireError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => Value::Fixed(self.take(8)?),
            2 => {
                let len = self.varint()?;
                Value::Bytes(self.take(len)?)
            }
            5 => Value::Fixed(self.take(4)?),
            _ => return Err(WireError),
        };
        if field == 0 {
            return Err(WireError);
        }
        Ok(Some((field, value)))
    }
}

/// Writes a message field by field.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
}

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    /// A varint field.
    pub(crate) fn uint(&mut self, field: u64, v: u64) {
        self.varint(field << 3);
        self.varint(v);
    }

    /// A length-delimited field (bytes, string, sub-message).
    pub(crate) fn bytes(&mut self, field: u64, v: &[u8]) {
        self.varint((field << 3) | 2);
        self.varint(v.len() as u64);
        self.out.extend_from_slice(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let mut w = Writer::default();
        w.uint(2, 300);
        w.bytes(1, b"abc");
        w.uint(7, u64::MAX);
        let mut r = Reader::new(&w.out);
        assert_eq!(r.next_field().unwrap(), Some((2, Value::Varint(300))));
        assert_eq!(r.next_field().unwrap(), Some((1, Value::Bytes(b"abc"))));
        assert_eq!(r.next_field().unwrap(), Some((7, Value::Varint(u64::MAX))));
        assert_eq!(r.next_field().unwrap(), None);
        for cut in 1..w.out.len() {
            let mut r = Reader::new(&w.out[..cut]);
            let mut n = 0;
            while let Ok(Some(_)) = r.next_field() {
                n += 1;
            }
            assert!(n < 3, "cut {cut}");
        }
        assert!(Reader::new(&[0x0b]).next_field().is_err()); // wire type 3
        assert!(Reader::new(&[0xff; 11]).next_field().is_err());
    }
}
