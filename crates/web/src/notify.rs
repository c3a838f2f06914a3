//! Delivering notices beyond the app. Each event is queued per webhook in
//! the database (`db::notify`) in the transaction that records it; a loop
//! in the server sends what is due, signs each body (HMAC-SHA256 with the
//! webhook's secret), retries failures on a widening schedule and logs
//! every try. Channels sit behind `Channel`, so an SMS or WeChat gateway is
//! one more implementation; the one shipped is a plain HTTP POST (no TLS:
//! webhooks go to a gateway inside the office's network, which may relay
//! further).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Waits after the first, second, … failed try; after the last the delivery is given up.
pub const RETRY_AFTER: [i64; 5] = [60, 5 * 60, 30 * 60, 2 * 3600, 12 * 3600];

/// Where a notice can be sent.
pub trait Channel: Send + Sync {
    /// Send `body` (JSON) for `event` to `target`, signed with `secret`; the
    /// receiver's status code, or why there was none.
    fn send<'a>(
        &'a self,
        target: &'a str,
        secret: &'a str,
        event: &'a str,
        body: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<u16, String>> + Send + 'a>>;
}

/// HMAC-SHA256 (RFC 2104) of `msg` under `key`, as lower-case hex.
pub fn sign(key: &[u8], msg: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |x: u8| k.iter().map(|b| b ^ x).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(msg).finalize();
    let outer = Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

/// A webhook's URL, checked when it is registered: `http://host[:port]/path`.
pub fn check_url(url: &str) -> Result<hyper::Uri, domain::Invalid> {
    let bad = |why: &str, zh: &str| domain::Invalid::new("url", format!("{url:?}: {why}")).zh(format!("“{url}”：{zh}"));
    if url.len() > 500 {
        return Err(bad("longer than 500 characters", "超过 500 个字符"));
    }
    let uri: hyper::Uri = url.parse().map_err(|_| bad("not a URL", "不是有效的网址"))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(bad(
            "must be http://host/… (a gateway in the office's network; https is not sent directly)",
            "须为 http://主机/…（办公网内的网关；不直接发送 https）",
        ));
    }
    Ok(uri)
}

/// POSTs JSON over plain HTTP/1.1 with `X-Gongzhi-Event` and
/// `X-Gongzhi-Signature: sha256=…` headers; 10 s to answer.
pub struct HttpWebhook {
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        http_body_util::Full<hyper::body::Bytes>,
    >,
}

impl Default for HttpWebhook {
    fn default() -> Self {
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        HttpWebhook { client }
    }
}

impl Channel for HttpWebhook {
    fn send<'a>(
        &'a self,
        target: &'a str,
        secret: &'a str,
        event: &'a str,
        body: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<u16, String>> + Send + 'a>> {
        Box::pin(async move {
            let uri = check_url(target).map_err(|e| e.reason)?;
            let req = hyper::Request::post(uri)
                .header(hyper::header::CONTENT_TYPE, "application/json")
                .header("x-gongzhi-event", event)
                .header("x-gongzhi-signature", format!("sha256={}", sign(secret.as_bytes(), body.as_bytes())))
                .body(http_body_util::Full::new(hyper::body::Bytes::from(body.to_owned())))
                .map_err(|e| e.to_string())?;
            match tokio::time::timeout(Duration::from_secs(10), self.client.request(req)).await {
                Ok(Ok(res)) => Ok(res.status().as_u16()),
                Ok(Err(e)) => Err(format!("{e}")),
                Err(_) => Err("no answer within 10 s".into()),
            }
        })
    }
}

/// What one round of deliveries did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub failed: usize,
}

/// Try every delivery due at `now` once: a 2xx answer delivers it; anything
/// else is logged and tried again later, until the schedule runs out.
pub async fn deliver_due(db: &db::Db, channel: &dyn Channel, now: DateTime<Utc>) -> Result<Round, db::DbError> {
    let mut round = Round::default();
    for d in db::notify::due(db, now, 100).await? {
        let (status, error) = match channel.send(&d.url, &d.secret, &d.event, &d.body).await {
            Ok(s) if (200..300).contains(&s) => (Some(s), None),
            Ok(s) => (Some(s), Some(format!("answered {s}"))),
            Err(e) => (None, Some(e)),
        };
        let retry = match &error {
            None => None,
            Some(_) => RETRY_AFTER.get(d.attempts.max(0) as usize).map(|s| now + chrono::Duration::seconds(*s)),
        };
        if error.is_some() {
            round.failed += 1;
            tracing::warn!(delivery = d.id, url = %d.url, error = error.as_deref().unwrap_or(""), "webhook delivery failed");
        } else {
            round.delivered += 1;
        }
        db::notify::record_attempt(db, d.id, status, error.as_deref(), now, retry).await?;
    }
    Ok(round)
}

/// The server's delivery loop: every few seconds, whatever is due.
pub fn spawn(db: db::Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let channel = HttpWebhook::default();
        loop {
            if let Err(e) = deliver_due(&db, &channel, Utc::now()).await {
                tracing::error!(error = %e, "webhook deliveries");
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        assert_eq!(
            sign(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn webhook_urls_are_plain_http_to_a_host() {
        assert!(check_url("http://10.1.2.3:8081/gongzhi").is_ok());
        for bad in ["https://sms.example.com/x", "ftp://x", "not a url", "http:///x"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
