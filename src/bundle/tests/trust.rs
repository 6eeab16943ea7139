//! What the signature binds beyond the bytes (its trusted comment), and
//! which of several trusted keys signed a bundle.

use super::fixtures::{craft, write_crafted, Fixture, Raw};
use crate::bundle::keyring::{Keyring, KeyringError};
use crate::bundle::manifest::SIGNATURE_NAME;
use crate::bundle::sign;
use crate::bundle::{verify_bundle, VerifyError};

#[test]
fn a_signature_whose_trusted_comment_describes_another_bundle_is_refused() {
    let fx = Fixture::new();
    let mut entries = fx.entries();
    let json = fx.manifest.to_json();
    // Signed by the trusted key, but claiming another range and date.
    let claim = "ferry bundle kyma 1.0.0 -> 1.24.0 (all) created 2030-01-01T00:00:00Z";
    let signature = sign::sign(&fx.key, &json, claim).unwrap();
    entries[1] = Raw::file(SIGNATURE_NAME, signature.into_bytes());
    let bundle = write_crafted(fx.dir.path(), "b.tar.gz", &craft(&entries));
    let err = verify_bundle(&bundle, &fx.public).unwrap_err();
    assert!(
        matches!(&err, VerifyError::CommentMismatch { found, .. } if found == claim),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("does not describe this manifest"), "{text}");
}

#[test]
fn the_keyring_picks_the_key_that_signed_and_names_the_trusted_ones_otherwise() {
    let fx = Fixture::new();
    let bundle = fx.write("b.tar.gz");
    let other = Fixture::new();
    let third = Fixture::new();
    let both = Keyring::load(&[other.public_path.clone(), fx.public_path.clone()], None).unwrap();
    let key = crate::bundle::reader::signer(&bundle, &both).unwrap();
    assert_eq!(key.key_id(), fx.public.key_id());
    verify_bundle(&bundle, &key).unwrap();

    let strangers = Keyring::load(
        &[other.public_path.clone(), third.public_path.clone()],
        None,
    )
    .unwrap();
    let err = crate::bundle::reader::signer(&bundle, &strangers).unwrap_err();
    match &err {
        KeyringError::NotTrusted { found, trusted, .. } => {
            assert_eq!(found, &fx.public.key_id());
            assert_eq!(trusted, &vec![other.public.key_id(), third.public.key_id()]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_trusted_keys_directory_holds_every_pub_file_once() {
    let fx = Fixture::new();
    let other = Fixture::new();
    let dir = fx.path("trusted");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&fx.public_path, dir.join("a.pub")).unwrap();
    std::fs::copy(&other.public_path, dir.join("b.pub")).unwrap();
    std::fs::write(dir.join("README"), "not a key").unwrap();
    // The same key given as a file too counts once.
    let keyring = Keyring::load(std::slice::from_ref(&fx.public_path), Some(&dir)).unwrap();
    assert_eq!(
        keyring.ids(),
        vec![fx.public.key_id(), other.public.key_id()]
    );

    let empty = fx.path("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = Keyring::load(&[], Some(&empty)).unwrap_err();
    assert!(matches!(err, KeyringError::EmptyDir { .. }), "{err:?}");
    std::fs::write(empty.join("bad.pub"), "not a key\n").unwrap();
    let err = Keyring::load(&[], Some(&empty)).unwrap_err();
    assert!(matches!(err, KeyringError::Key(_)), "{err:?}");
    let err = Keyring::load(&[], Some(&fx.path("missing"))).unwrap_err();
    assert!(matches!(err, KeyringError::Dir { .. }), "{err:?}");
}
