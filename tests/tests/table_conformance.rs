//! The `Table` conformance suite: every case runs on redb and on DynamoDB (moto).

use atelier_core::ports::{
    Clock, Condition, Index, Item, Key, Query, SortKey, StoreError, Update, Write,
};
use atelier_tests::both;
use atelier_tests::fixtures::{TableFixture, aws_table, embedded_table};
use chrono::Duration;
use serde_json::json;

fn key(pk: &str, sk: &str) -> Key {
    Key::new(pk, sk)
}

fn item(pk: &str, sk: &str) -> Item {
    Item::new(key(pk, sk)).with("name", sk).with("version", 1)
}

/// Follows cursors to the end, returning every sort key seen.
async fn collect(f: &TableFixture, query: Query) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = f.table.query(query.clone().after(cursor)).await.unwrap();
        assert!(page.items.len() <= query.limit as usize);
        out.extend(page.items.iter().map(|i| {
            let (_, sk) = query.index.attr_names();
            if sk == "SK" {
                i.key.sk().to_owned()
            } else {
                i.get(sk).unwrap().as_str().unwrap().to_owned()
            }
        }));
        match page.next {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

async fn put_if_absent_fails_on_an_existing_item(f: &TableFixture) {
    f.table
        .put(item("B#1", "C#1"), Condition::Absent)
        .await
        .unwrap();
    let second = Item::new(key("B#1", "C#1")).with("name", "intruder");
    assert_eq!(
        f.table.put(second, Condition::Absent).await,
        Err(StoreError::ConditionFailed)
    );
    let stored = f.table.get(&key("B#1", "C#1")).await.unwrap().unwrap();
    assert_eq!(
        stored.get("name"),
        Some(&json!("C#1")),
        "the first write survives"
    );
}
both!(
    put_if_absent_fails_on_an_existing_item,
    embedded_table,
    aws_table
);

async fn update_with_a_stale_version_is_rejected(f: &TableFixture) {
    let k = key("B#1", "C#1");
    f.table
        .put(item("B#1", "C#1"), Condition::Absent)
        .await
        .unwrap();
    let first = Update::new().set("name", "Ana").set("version", 2);
    let after = f
        .table
        .update(&k, first, Condition::VersionEquals(1))
        .await
        .unwrap();
    assert_eq!(after.version(), Some(2));
    let stale = Update::new().set("name", "Bea").set("version", 2);
    assert_eq!(
        f.table.update(&k, stale, Condition::VersionEquals(1)).await,
        Err(StoreError::ConditionFailed)
    );
    let stored = f.table.get(&k).await.unwrap().unwrap();
    assert_eq!(
        stored.get("name"),
        Some(&json!("Ana")),
        "no silent overwrite"
    );
    assert_eq!(stored.version(), Some(2));
}
both!(
    update_with_a_stale_version_is_rejected,
    embedded_table,
    aws_table
);

async fn update_sets_adds_removes_and_creates(f: &TableFixture) {
    let k = key("B#1", "COUNTER");
    let created = f
        .table
        .update(
            &k,
            Update::new().add("hits", 2).set("label", "x"),
            Condition::None,
        )
        .await
        .unwrap();
    assert_eq!(created.get("hits"), Some(&json!(2)));
    let bumped = f
        .table
        .update(
            &k,
            Update::new().add("hits", 3).remove("label"),
            Condition::Present,
        )
        .await
        .unwrap();
    assert_eq!(bumped.get("hits"), Some(&json!(5)));
    assert_eq!(bumped.get("label"), None);
    let missing = key("B#1", "NOPE");
    assert_eq!(
        f.table
            .update(&missing, Update::new().set("a", 1), Condition::Present)
            .await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(
        f.table.get(&missing).await.unwrap(),
        None,
        "a failed update creates nothing"
    );
}
both!(
    update_sets_adds_removes_and_creates,
    embedded_table,
    aws_table
);

async fn values_round_trip_with_their_types(f: &TableFixture) {
    let value = json!({"text": "héllo", "n": 42, "neg": -7, "f": 1.5, "yes": true, "none": null,
                       "list": [1, "two", {"three": 3}], "nested": {"a": {"b": "c"}}});
    let mut it = Item::new(key("B#1", "DOC"));
    for (k, v) in value.as_object().unwrap() {
        it = it.with(k, v.clone());
    }
    f.table.put(it.clone(), Condition::None).await.unwrap();
    assert_eq!(f.table.get(&key("B#1", "DOC")).await.unwrap(), Some(it));
}
both!(
    values_round_trip_with_their_types,
    embedded_table,
    aws_table
);

async fn delete_honours_its_condition(f: &TableFixture) {
    let k = key("B#1", "C#1");
    assert_eq!(
        f.table.delete(&k, Condition::Present).await,
        Err(StoreError::ConditionFailed)
    );
    f.table.delete(&k, Condition::None).await.unwrap();
    f.table
        .put(item("B#1", "C#1"), Condition::Absent)
        .await
        .unwrap();
    assert_eq!(
        f.table.delete(&k, Condition::VersionEquals(9)).await,
        Err(StoreError::ConditionFailed)
    );
    f.table
        .delete(&k, Condition::VersionEquals(1))
        .await
        .unwrap();
    assert_eq!(f.table.get(&k).await.unwrap(), None);
}
both!(delete_honours_its_condition, embedded_table, aws_table);

async fn a_transaction_is_all_or_nothing_and_names_the_failed_write(f: &TableFixture) {
    f.table
        .put(item("B#1", "A"), Condition::Absent)
        .await
        .unwrap();
    let writes = vec![
        Write::Put {
            item: item("B#1", "B"),
            condition: Condition::Absent,
        },
        Write::Update {
            key: key("B#1", "C"),
            update: Update::new().set("x", 1),
            condition: Condition::None,
        },
        Write::Put {
            item: item("B#1", "A"),
            condition: Condition::Absent,
        },
        Write::Delete {
            key: key("B#1", "A"),
            condition: Condition::None,
        },
    ];
    // Touching A twice is refused before anything is sent.
    assert!(matches!(
        f.table.transact(writes).await,
        Err(StoreError::Invalid(_))
    ));

    let writes = vec![
        Write::Put {
            item: item("B#1", "B"),
            condition: Condition::Absent,
        },
        Write::Update {
            key: key("B#1", "C"),
            update: Update::new().set("x", 1),
            condition: Condition::None,
        },
        Write::Put {
            item: item("B#1", "A"),
            condition: Condition::Absent,
        },
    ];
    assert_eq!(
        f.table.transact(writes).await,
        Err(StoreError::TransactionConditionFailed { index: 2 })
    );
    assert_eq!(
        f.table.get(&key("B#1", "B")).await.unwrap(),
        None,
        "nothing of a failed transaction lands"
    );
    assert_eq!(f.table.get(&key("B#1", "C")).await.unwrap(), None);

    let writes = vec![
        Write::Put {
            item: item("B#1", "B"),
            condition: Condition::Absent,
        },
        Write::Update {
            key: key("B#1", "A"),
            update: Update::new().set("version", 2),
            condition: Condition::VersionEquals(1),
        },
        Write::Check {
            key: key("B#1", "Z"),
            condition: Condition::Absent,
        },
    ];
    f.table.transact(writes).await.unwrap();
    assert!(f.table.get(&key("B#1", "B")).await.unwrap().is_some());
    assert_eq!(
        f.table
            .get(&key("B#1", "A"))
            .await
            .unwrap()
            .unwrap()
            .version(),
        Some(2)
    );
}
both!(
    a_transaction_is_all_or_nothing_and_names_the_failed_write,
    embedded_table,
    aws_table
);

async fn a_transaction_holds_at_most_100_writes(f: &TableFixture) {
    let writes: Vec<Write> = (0..101)
        .map(|i| Write::Put {
            item: item("B#1", &format!("I#{i:03}")),
            condition: Condition::None,
        })
        .collect();
    assert!(matches!(
        f.table.transact(writes.clone()).await,
        Err(StoreError::Invalid(_))
    ));
    f.table.transact(writes[..100].to_vec()).await.unwrap();
    assert_eq!(
        collect(f, Query::partition("B#1").limit(1000)).await.len(),
        100
    );
}
both!(
    a_transaction_holds_at_most_100_writes,
    embedded_table,
    aws_table
);

async fn paging_a_query_returns_every_item_exactly_once(f: &TableFixture) {
    let writes: Vec<Write> = (0..23)
        .map(|i| Write::Put {
            item: item("B#1", &format!("MSG#{i:02}")),
            condition: Condition::None,
        })
        .chain((0..5).map(|i| Write::Put {
            item: item("B#1", &format!("NOTE#{i}")),
            condition: Condition::None,
        }))
        .chain((0..5).map(|i| Write::Put {
            item: item("B#2", &format!("MSG#{i:02}")),
            condition: Condition::None,
        }))
        .collect();
    f.table.transact(writes).await.unwrap();

    let expected: Vec<String> = (0..23).map(|i| format!("MSG#{i:02}")).collect();
    let forward = collect(f, Query::partition("B#1").prefix("MSG#").limit(4)).await;
    assert_eq!(forward, expected);
    let backward = collect(
        f,
        Query::partition("B#1").prefix("MSG#").backward().limit(5),
    )
    .await;
    assert_eq!(backward, expected.iter().rev().cloned().collect::<Vec<_>>());
    let all = collect(f, Query::partition("B#1").limit(7)).await;
    assert_eq!(all.len(), 28, "the whole partition, and only it");
    let between = collect(
        f,
        Query::partition("B#1")
            .sort(SortKey::Between("MSG#05".into(), "MSG#09".into()))
            .limit(2),
    )
    .await;
    assert_eq!(
        between,
        (5..=9).map(|i| format!("MSG#{i:02}")).collect::<Vec<_>>()
    );
    let at_least = collect(
        f,
        Query::partition("B#1")
            .sort(SortKey::AtLeast("NOTE#3".into()))
            .limit(1),
    )
    .await;
    assert_eq!(at_least, vec!["NOTE#3", "NOTE#4"]);
    let at_most = collect(
        f,
        Query::partition("B#1")
            .sort(SortKey::AtMost("MSG#01".into()))
            .backward()
            .limit(10),
    )
    .await;
    assert_eq!(at_most, vec!["MSG#01", "MSG#00"]);
}
both!(
    paging_a_query_returns_every_item_exactly_once,
    embedded_table,
    aws_table
);

async fn secondary_indexes_page_and_follow_changes(f: &TableFixture) {
    for i in 0..9 {
        let it = item("B#1", &format!("C#{i}"))
            .with("GSI1PK", "EMAIL#ana@x.io")
            .with("GSI1SK", format!("T#{i}"));
        f.table.put(it, Condition::None).await.unwrap();
    }
    let q = Query::partition("EMAIL#ana@x.io").on(Index::Gsi1).limit(2);
    assert_eq!(
        collect(f, q.clone()).await,
        (0..9).map(|i| format!("T#{i}")).collect::<Vec<_>>()
    );
    // Moving an item's index key moves it in the index.
    let moved = Update::new().set("GSI1PK", "EMAIL#bea@x.io");
    f.table
        .update(&key("B#1", "C#4"), moved, Condition::Present)
        .await
        .unwrap();
    f.table
        .delete(&key("B#1", "C#5"), Condition::None)
        .await
        .unwrap();
    assert_eq!(collect(f, q.clone()).await.len(), 7);
    assert_eq!(
        collect(f, Query::partition("EMAIL#bea@x.io").on(Index::Gsi1)).await,
        vec!["T#4"]
    );
    assert!(
        collect(f, Query::partition("EMAIL#ana@x.io").on(Index::Gsi2))
            .await
            .is_empty()
    );
}
both!(
    secondary_indexes_page_and_follow_changes,
    embedded_table,
    aws_table
);

async fn ttl_expired_items_are_not_returned(f: &TableFixture) {
    let soon = f.clock.now().timestamp() + 60;
    let k = key("B#1", "SESSION#1");
    let it = item("B#1", "SESSION#1")
        .with("expires_at", soon)
        .with("secret", "old");
    f.table.put(it, Condition::Absent).await.unwrap();
    f.table
        .put(item("B#1", "SESSION#2"), Condition::Absent)
        .await
        .unwrap();
    assert!(f.table.get(&k).await.unwrap().is_some());

    f.clock.advance(Duration::seconds(61));
    assert_eq!(
        f.table.get(&k).await.unwrap(),
        None,
        "expired items are gone on read"
    );
    assert_eq!(collect(f, Query::partition("B#1")).await, vec!["SESSION#2"]);
    assert_eq!(
        f.table.delete(&k, Condition::Present).await,
        Err(StoreError::ConditionFailed)
    );
    // An expired item counts as absent: it can be recreated, and an update starts afresh.
    let fresh = f
        .table
        .update(&k, Update::new().set("name", "new"), Condition::Absent)
        .await
        .unwrap();
    assert_eq!(
        fresh.get("secret"),
        None,
        "nothing of the expired item comes back"
    );
    assert_eq!(fresh.get("expires_at"), None);
    assert_eq!(
        f.table.get(&k).await.unwrap().unwrap().get("name"),
        Some(&json!("new"))
    );
}
both!(
    ttl_expired_items_are_not_returned,
    embedded_table,
    aws_table
);

async fn oversized_items_and_bad_cursors_are_refused(f: &TableFixture) {
    let big = item("B#1", "BIG").with("body", "x".repeat(400 * 1024));
    assert!(matches!(
        f.table.put(big, Condition::None).await,
        Err(StoreError::ItemTooLarge(_))
    ));
    for i in 0..3 {
        f.table
            .put(item("B#1", &format!("I#{i}")), Condition::None)
            .await
            .unwrap();
        f.table
            .put(item("B#2", &format!("I#{i}")), Condition::None)
            .await
            .unwrap();
    }
    let page = f
        .table
        .query(Query::partition("B#1").limit(1))
        .await
        .unwrap();
    let cursor = page.next.expect("more pages");
    // A cursor of one partition cannot be replayed against another.
    let other = f
        .table
        .query(Query::partition("B#2").limit(1).after(Some(cursor)))
        .await;
    assert_eq!(other, Err(StoreError::InvalidCursor));
    let junk = f
        .table
        .query(Query::partition("B#1").after(Some("%%%".into())))
        .await;
    assert_eq!(junk, Err(StoreError::InvalidCursor));
    assert!(matches!(
        f.table.query(Query::partition("B#1").limit(0)).await,
        Err(StoreError::Invalid(_))
    ));
}
both!(
    oversized_items_and_bad_cursors_are_refused,
    embedded_table,
    aws_table
);

async fn conditions_on_attributes(f: &TableFixture) {
    let k = key("B#1", "C#1");
    f.table
        .put(item("B#1", "C#1").with("state", "open"), Condition::Absent)
        .await
        .unwrap();
    let close = |from: &str| Condition::AttrEquals("state".into(), json!(from));
    assert_eq!(
        f.table
            .update(&k, Update::new().set("state", "won"), close("lost"))
            .await,
        Err(StoreError::ConditionFailed)
    );
    f.table
        .update(&k, Update::new().set("state", "won"), close("open"))
        .await
        .unwrap();
    assert_eq!(
        f.table.get(&k).await.unwrap().unwrap().get("state"),
        Some(&json!("won"))
    );
}
both!(conditions_on_attributes, embedded_table, aws_table);

#[tokio::test]
async fn the_embedded_sweeper_deletes_expired_items_for_good() {
    use atelier_core::adapters::embedded::{self, RedbTable};
    use atelier_core::ports::{ManualClock, Table};
    use std::sync::Arc;
    let dir = tempfile::TempDir::new().unwrap();
    let clock = Arc::new(ManualClock::starting_now());
    let table =
        RedbTable::new(embedded::open_database(dir.path()).unwrap(), clock.clone()).unwrap();
    let soon = clock.now().timestamp() + 10;
    for i in 0..3 {
        let it = item("B#1", &format!("S#{i}"))
            .with("expires_at", soon + i)
            .with("GSI1PK", "X")
            .with("GSI1SK", format!("{i}"));
        table.put(it, Condition::None).await.unwrap();
    }
    table
        .put(item("B#1", "KEEP"), Condition::None)
        .await
        .unwrap();
    assert_eq!(
        table.sweep_expired().await.unwrap(),
        0,
        "nothing is due yet"
    );
    // Expired means expires_at <= now: at +10 s exactly the first item is due.
    clock.advance(Duration::seconds(10));
    assert_eq!(table.sweep_expired().await.unwrap(), 1);
    clock.advance(Duration::seconds(10));
    assert_eq!(table.sweep_expired().await.unwrap(), 2);
    // Gone from the table and from its index, not merely hidden.
    clock.advance(Duration::days(-1));
    assert_eq!(table.get(&key("B#1", "S#0")).await.unwrap(), None);
    assert!(
        table
            .query(Query::partition("X").on(Index::Gsi1))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(table.get(&key("B#1", "KEEP")).await.unwrap().is_some());
}

async fn updates_are_validated_before_anything_is_written(f: &TableFixture) {
    let k = key("B#1", "C#1");
    f.table
        .put(item("B#1", "C#1"), Condition::Absent)
        .await
        .unwrap();
    let refused = [
        Update::new().set("expires_at", "soon"),
        Update::new().set("expires_at", 1.5),
        Update::new().set("GSI1PK", 7),
        Update::new().set("GSI1PK", ""),
        Update::new().set("name", "x").remove("name"),
        Update::new().add("GSI2SK", 1),
    ];
    for update in refused {
        let result = f.table.update(&k, update.clone(), Condition::None).await;
        assert!(
            matches!(result, Err(StoreError::Invalid(_))),
            "{update:?} gave {result:?}"
        );
    }
    assert_eq!(
        f.table.get(&k).await.unwrap(),
        Some(item("B#1", "C#1")),
        "nothing changed"
    );
    let grown = Update::new().set("body", "x".repeat(400 * 1024));
    let result = f.table.update(&k, grown, Condition::None).await;
    assert!(
        matches!(result, Err(StoreError::ItemTooLarge(_))),
        "{result:?}"
    );
    assert_eq!(
        f.table.get(&k).await.unwrap(),
        Some(item("B#1", "C#1")),
        "nothing changed"
    );
}
both!(
    updates_are_validated_before_anything_is_written,
    embedded_table,
    aws_table
);

async fn a_transaction_reports_the_lowest_failing_write_even_with_expired_items(f: &TableFixture) {
    let soon = f.clock.now().timestamp() + 5;
    f.table
        .put(item("B#1", "K0").with("expires_at", soon), Condition::None)
        .await
        .unwrap();
    f.table
        .put(item("B#1", "K1"), Condition::None)
        .await
        .unwrap();
    f.clock.advance(Duration::seconds(6));
    let writes = vec![
        Write::Check {
            key: key("B#1", "K0"),
            condition: Condition::Present,
        },
        Write::Put {
            item: item("B#1", "K1"),
            condition: Condition::Absent,
        },
    ];
    assert_eq!(
        f.table.transact(writes).await,
        Err(StoreError::TransactionConditionFailed { index: 0 })
    );
    // Where the expired item is what the condition wants absent, the transaction goes through.
    let writes = vec![
        Write::Put {
            item: item("B#1", "K0"),
            condition: Condition::Absent,
        },
        Write::Update {
            key: key("B#1", "K1"),
            update: Update::new().set("version", 2),
            condition: Condition::VersionEquals(1),
        },
    ];
    f.table.transact(writes).await.unwrap();
    assert_eq!(
        f.table.get(&key("B#1", "K0")).await.unwrap(),
        Some(item("B#1", "K0"))
    );
}
both!(
    a_transaction_reports_the_lowest_failing_write_even_with_expired_items,
    embedded_table,
    aws_table
);

async fn a_cursor_only_continues_its_own_sort_range(f: &TableFixture) {
    for sk in ["A#1", "A#2", "MSG#1", "MSG#2", "MSG#3"] {
        f.table.put(item("B#1", sk), Condition::None).await.unwrap();
    }
    let all = f
        .table
        .query(Query::partition("B#1").limit(1))
        .await
        .unwrap();
    assert_eq!(all.items[0].key.sk(), "A#1");
    let forged = f
        .table
        .query(Query::partition("B#1").prefix("MSG#").after(all.next))
        .await;
    assert_eq!(
        forged,
        Err(StoreError::InvalidCursor),
        "an A# cursor cannot open the MSG# range"
    );
    assert!(matches!(
        f.table.query(Query::partition("B#1").prefix("")).await,
        Err(StoreError::Invalid(_))
    ));
    let backwards = Query::partition("B#1").sort(SortKey::Between("Z".into(), "A".into()));
    assert!(matches!(
        f.table.query(backwards).await,
        Err(StoreError::Invalid(_))
    ));
}
both!(
    a_cursor_only_continues_its_own_sort_range,
    embedded_table,
    aws_table
);
