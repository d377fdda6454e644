//! The WAHA API key goes only to the WAHA instance's own origin.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wabot_actors::WahaClient;

const KEY: &str = "waha-api-key-0123456789";

/// A plain HTTP server on loopback that answers every request with
/// `answer` and keeps each request's head.
struct Recorder {
    origin: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    async fn start(answer: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let kept = heads.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (kept, answer) = (kept.clone(), answer.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    kept.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&head).to_lowercase());
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        Self { origin, heads }
    }

    fn saw_the_key(&self) -> Vec<bool> {
        let key_header = format!("x-api-key: {}", KEY.to_lowercase());
        self.heads
            .lock()
            .unwrap()
            .iter()
            .map(|head| head.contains(&key_header))
            .collect()
    }
}

fn file_answer() -> String {
    "HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ncontent-length: 4\r\nconnection: close\r\n\r\nJPEG"
        .to_owned()
}

#[tokio::test]
async fn the_key_goes_to_the_instance_and_to_no_other_host() {
    let waha = Recorder::start(file_answer()).await;
    let elsewhere = Recorder::start(file_answer()).await;
    let client = WahaClient::new(&waha.origin, KEY, Duration::from_secs(5));

    let (bytes, _) = client
        .download(&format!("{}/api/files/s/a.jpg", waha.origin), 1024)
        .await
        .unwrap();
    assert_eq!(bytes, b"JPEG");
    assert_eq!(waha.saw_the_key(), [true], "WAHA's own files get the key");

    // Another host, even with WAHA's path for files, gets no key.
    let (bytes, _) = client
        .download(&format!("{}/api/files/s/a.jpg", elsewhere.origin), 1024)
        .await
        .unwrap();
    assert_eq!(bytes, b"JPEG");
    assert_eq!(elsewhere.saw_the_key(), [false]);
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_with_the_key() {
    let elsewhere = Recorder::start(file_answer()).await;
    let redirect = format!(
        "HTTP/1.1 302 Found\r\nlocation: {}/steal\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        elsewhere.origin
    );
    let waha = Recorder::start(redirect).await;
    let client = WahaClient::new(&waha.origin, KEY, Duration::from_secs(5));
    let outcome = client
        .download(&format!("{}/api/files/s/a.jpg", waha.origin), 1024)
        .await;
    assert!(outcome.is_err(), "the redirect was refused: {outcome:?}");
    assert!(
        elsewhere.saw_the_key().is_empty(),
        "the other host was never called"
    );
}
