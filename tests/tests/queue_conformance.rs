//! The `Queue` conformance suite: the embedded redb queue and SQS FIFO (moto).

use atelier_core::ports::{OutMessage, QueueError, ReceivedMessage};
use atelier_tests::both;
use atelier_tests::fixtures::{MAX_RECEIVES, QueueFixture, aws_queue, embedded_queue};
use std::time::Duration;

const NO_WAIT: Duration = Duration::ZERO;

async fn drain(f: &QueueFixture) -> Vec<ReceivedMessage> {
    let mut all = Vec::new();
    for _ in 0..20 {
        let got = f.queue.receive(10, NO_WAIT).await.unwrap();
        if got.is_empty() {
            break;
        }
        for m in &got {
            f.queue.ack(&m.receipt).await.unwrap();
        }
        all.extend(got);
    }
    all
}

async fn a_message_is_delivered_and_acknowledged_once(f: &QueueFixture) {
    f.queue
        .send(OutMessage::fifo("hello", "g1", "d1"))
        .await
        .unwrap();
    let got = f.queue.receive(10, NO_WAIT).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, "hello");
    assert_eq!(got[0].group.as_deref(), Some("g1"));
    assert_eq!(got[0].receive_count, 1);
    assert!(
        f.queue.receive(10, NO_WAIT).await.unwrap().is_empty(),
        "in flight: invisible"
    );
    f.queue.ack(&got[0].receipt).await.unwrap();
    f.queue.release(&got[0].receipt, NO_WAIT).await.ok();
    assert!(
        f.queue.receive(10, NO_WAIT).await.unwrap().is_empty(),
        "acknowledged: gone"
    );
}
both!(
    a_message_is_delivered_and_acknowledged_once,
    embedded_queue,
    aws_queue
);

async fn a_fifo_duplicate_within_the_dedup_window_is_dropped(f: &QueueFixture) {
    f.queue
        .send(OutMessage::fifo("first", "g1", "same-id"))
        .await
        .unwrap();
    f.queue
        .send(OutMessage::fifo("second", "g1", "same-id"))
        .await
        .unwrap();
    f.queue
        .send(OutMessage::fifo("third", "g1", "other-id"))
        .await
        .unwrap();
    let bodies: Vec<String> = drain(f).await.into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, vec!["first", "third"]);
}
both!(
    a_fifo_duplicate_within_the_dedup_window_is_dropped,
    embedded_queue,
    aws_queue
);

async fn a_message_failing_n_receives_lands_in_the_dlq(f: &QueueFixture) {
    f.queue
        .send(OutMessage::fifo("poison", "g1", "p1"))
        .await
        .unwrap();
    for attempt in 1..=MAX_RECEIVES {
        let got = f.queue.receive(10, NO_WAIT).await.unwrap();
        assert_eq!(got.len(), 1, "delivery {attempt}");
        assert_eq!(got[0].receive_count, attempt);
        f.queue.release(&got[0].receipt, NO_WAIT).await.unwrap();
    }
    assert!(
        f.queue.receive(10, NO_WAIT).await.unwrap().is_empty(),
        "no delivery past the limit"
    );
    let dead = f.dlq.receive(10, NO_WAIT).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "poison");
}
both!(
    a_message_failing_n_receives_lands_in_the_dlq,
    embedded_queue,
    aws_queue
);

async fn a_fifo_group_delivers_in_order_one_at_a_time(f: &QueueFixture) {
    for (body, group) in [
        ("a1", "a"),
        ("b1", "b"),
        ("a2", "a"),
        ("a3", "a"),
        ("b2", "b"),
    ] {
        f.queue
            .send(OutMessage::fifo(body, group, body))
            .await
            .unwrap();
    }
    let first = f.queue.receive(10, NO_WAIT).await.unwrap();
    assert!(first.iter().any(|m| m.body == "a1") && first.iter().any(|m| m.body == "b1"));
    // While group a has a message in flight, nothing more of group a is delivered.
    let during = f.queue.receive(10, NO_WAIT).await.unwrap();
    assert!(
        during.iter().all(|m| m.group.as_deref() != Some("a")),
        "group a is locked while in flight"
    );
    for m in first.iter().chain(&during) {
        f.queue.ack(&m.receipt).await.unwrap();
    }
    let mut order: Vec<String> = first.into_iter().chain(during).map(|m| m.body).collect();
    order.extend(drain(f).await.into_iter().map(|m| m.body));
    let of = |g: char| {
        order
            .iter()
            .filter(|b| b.starts_with(g))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(of('a'), vec!["a1", "a2", "a3"]);
    assert_eq!(of('b'), vec!["b1", "b2"]);
}
both!(
    a_fifo_group_delivers_in_order_one_at_a_time,
    embedded_queue,
    aws_queue
);

async fn a_large_batch_is_sent_in_chunks_and_all_arrive(f: &QueueFixture) {
    let messages: Vec<OutMessage> = (0..25)
        .map(|i| OutMessage::fifo(format!("m{i}"), format!("g{i}"), format!("d{i}")))
        .collect();
    f.queue.send_batch(messages).await.unwrap();
    let mut bodies: Vec<String> = drain(f).await.into_iter().map(|m| m.body).collect();
    bodies.sort();
    let mut expected: Vec<String> = (0..25).map(|i| format!("m{i}")).collect();
    expected.sort();
    assert_eq!(bodies, expected);
}
both!(
    a_large_batch_is_sent_in_chunks_and_all_arrive,
    embedded_queue,
    aws_queue
);

async fn malformed_messages_are_refused_before_sending(f: &QueueFixture) {
    assert!(matches!(
        f.queue
            .send(OutMessage::new("no group on a FIFO queue"))
            .await,
        Err(QueueError::Invalid(_))
    ));
    assert!(matches!(
        f.queue.send(OutMessage::fifo("", "g", "d")).await,
        Err(QueueError::Invalid(_))
    ));
    assert!(matches!(
        f.queue
            .send(OutMessage::fifo("x".repeat(300 * 1024), "g", "d"))
            .await,
        Err(QueueError::Invalid(_))
    ));
    assert!(matches!(
        f.queue.receive(11, NO_WAIT).await,
        Err(QueueError::Invalid(_))
    ));
    assert!(drain(f).await.is_empty(), "nothing was enqueued");
}
both!(
    malformed_messages_are_refused_before_sending,
    embedded_queue,
    aws_queue
);

async fn messages_sqs_would_refuse_are_refused_by_both(f: &QueueFixture) {
    let no_dedup = OutMessage {
        body: "x".into(),
        group: Some("g".into()),
        dedup_id: None,
    };
    assert!(matches!(
        f.queue.send(no_dedup).await,
        Err(QueueError::Invalid(_))
    ));
    let bad_char = OutMessage::fifo("bad \u{FFFF} char", "g", "d1");
    assert!(matches!(
        f.queue.send(bad_char).await,
        Err(QueueError::Invalid(_))
    ));
    assert!(drain(f).await.is_empty(), "nothing was enqueued");
}
both!(
    messages_sqs_would_refuse_are_refused_by_both,
    embedded_queue,
    aws_queue
);

async fn a_batch_larger_than_one_request_is_split_by_size(f: &QueueFixture) {
    // Ten 100 KiB messages fit SQS's count limit but not its 256 KiB request limit.
    let messages: Vec<OutMessage> = (0..10)
        .map(|i| {
            OutMessage::fifo(
                format!("{i}{}", "x".repeat(100 * 1024)),
                format!("g{i}"),
                format!("d{i}"),
            )
        })
        .collect();
    f.queue.send_batch(messages).await.unwrap();
    assert_eq!(drain(f).await.len(), 10);
}
both!(
    a_batch_larger_than_one_request_is_split_by_size,
    embedded_queue,
    aws_queue
);
