//! Calls to the relay: every reply's `Assent-Time` updates the relay clock
//! offset; signed calls use it for their timestamp and are retried once when
//! the relay refuses the timestamp as stale.

use assent_protocol::api::{ErrorBody, ErrorCode};
use assent_protocol::{RelayUrl, RequestAuth};

use super::{protocol_error, signer, PushClient};
use crate::error::{Error, Result};
use crate::transport::{DeviceCall, Method, RelayReply};
use crate::vault::PushEnrollment;

impl PushClient {
    /// Sends an unsigned call and notes the relay's time.
    pub(super) async fn call(&mut self, relay: &RelayUrl, call: DeviceCall) -> Result<RelayReply> {
        let reply = self.transport.call(relay, call).await?;
        self.note_relay_time(reply.relay_time)?;
        Ok(reply)
    }

    /// Sends a call signed by `push`'s device key with a timestamp in relay
    /// time; when the relay refuses the timestamp and says its time, retries
    /// once with the corrected offset.
    pub(super) async fn call_signed(
        &mut self,
        push: &PushEnrollment,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<RelayReply> {
        let mut retried = false;
        loop {
            let auth = RequestAuth::sign(
                &signer(self.keys.as_ref(), push),
                &push.relay_url,
                &push.device_id,
                method.as_str(),
                path,
                self.relay_now(),
                &body,
            )
            .map_err(protocol_error)?;
            let call = DeviceCall {
                method,
                path: path.to_owned(),
                body: body.clone(),
                auth: Some(auth),
            };
            let reply = self.call(&push.relay_url, call).await?;
            if !retried && reply.relay_time.is_some() && is_stale_timestamp(&reply) {
                tracing::debug!("relay refused the request timestamp; retrying with its time");
                retried = true;
                continue;
            }
            return Ok(reply);
        }
    }
}

/// The body of a 2xx reply, or the relay's error.
pub(super) fn ok_body(reply: RelayReply) -> Result<Vec<u8>> {
    if (200..300).contains(&reply.status) {
        Ok(reply.body)
    } else {
        Err(relay_error(&reply))
    }
}

/// [`Error::Relay`] with the reply's status and error code.
pub(super) fn relay_error(reply: &RelayReply) -> Error {
    Error::Relay {
        status: reply.status,
        code: ErrorBody::code_of(&reply.body),
    }
}

fn is_stale_timestamp(reply: &RelayReply) -> bool {
    reply.status == 401 && ErrorBody::code_of(&reply.body) == Some(ErrorCode::StaleTimestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> RelayReply {
        RelayReply {
            status,
            body: body.as_bytes().to_vec(),
            relay_time: Some(1),
        }
    }

    #[test]
    fn error_codes_are_read_and_sanitized() {
        let stale = reply(401, r#"{"error":{"code":"stale_timestamp","message":"x"}}"#);
        assert!(is_stale_timestamp(&stale));
        assert!(!is_stale_timestamp(&reply(
            401,
            r#"{"error":{"code":"bad_signature","message":"x"}}"#
        )));
        assert!(matches!(
            ok_body(reply(502, "<html>bad gateway</html>")),
            Err(Error::Relay {
                status: 502,
                code: None
            })
        ));
        assert!(matches!(
            ok_body(reply(410, r#"{"error":{"code":"expired","message":"m"}}"#)),
            Err(Error::Relay {
                status: 410,
                code: Some(ErrorCode::Expired)
            })
        ));
        assert_eq!(ok_body(reply(200, "{}")).unwrap(), b"{}");
    }
}
