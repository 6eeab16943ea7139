//! Key files and signatures.

use crate::bundle::sign::{
    describe_signature, generate_keypair, load_public_key, load_secret_key, parse_public_key,
    secret_key_is_encrypted, sign, verify, SignError,
};

#[test]
fn encrypted_key_needs_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let keys = generate_keypair(&dir.path().join("k"), Some("s3cret"), false).unwrap();
    assert_eq!(keys.secret, dir.path().join("k.key"));
    assert_eq!(keys.public, dir.path().join("k.pub"));
    assert!(secret_key_is_encrypted(&keys.secret).unwrap());
    let err = load_secret_key(&keys.secret, None).unwrap_err();
    assert!(matches!(err, SignError::PasswordNeeded { .. }), "{err:?}");
    let err = load_secret_key(&keys.secret, Some("wrong")).unwrap_err();
    assert!(matches!(err, SignError::WrongPassword { .. }), "{err:?}");
    let key = load_secret_key(&keys.secret, Some("s3cret")).unwrap();
    assert_eq!(key.key_id(), keys.key_id);
    let public = load_public_key(&keys.public).unwrap();
    let signature = sign(&key, b"data", "comment").unwrap();
    assert_eq!(
        verify(&public, b"data", &signature).unwrap().key_id,
        keys.key_id
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&keys.secret).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "secret key is private");
}

#[test]
fn keygen_refuses_to_overwrite_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("ferry.release");
    let first = generate_keypair(&prefix, None, false).unwrap();
    assert_eq!(first.secret, dir.path().join("ferry.release.key"));
    assert!(!secret_key_is_encrypted(&first.secret).unwrap());
    let before = std::fs::read(&first.secret).unwrap();
    let err = generate_keypair(&prefix, None, false).unwrap_err();
    assert!(matches!(err, SignError::Exists { .. }), "{err:?}");
    assert_eq!(std::fs::read(&first.secret).unwrap(), before);
    let second = generate_keypair(&prefix, None, true).unwrap();
    assert_ne!(second.key_id, first.key_id);
    assert_ne!(std::fs::read(&second.secret).unwrap(), before);
    assert_eq!(
        load_public_key(&second.public).unwrap().key_id(),
        second.key_id
    );
}

#[test]
fn signatures_are_deterministic_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let keys = generate_keypair(&dir.path().join("a"), None, false).unwrap();
    let key = load_secret_key(&keys.secret, None).unwrap();
    let public = load_public_key(&keys.public).unwrap();
    let one = sign(&key, b"manifest", "ferry bundle x").unwrap();
    assert_eq!(one, sign(&key, b"manifest", "ferry bundle x").unwrap());
    assert_ne!(one, sign(&key, b"manifest", "ferry bundle y").unwrap());
    let info = verify(&public, b"manifest", &one).unwrap();
    assert_eq!(info.key_id, keys.key_id);
    assert_eq!(info.trusted_comment, "ferry bundle x");
    assert_eq!(describe_signature(&one).unwrap(), info);

    let err = verify(&public, b"manifesT", &one).unwrap_err();
    assert!(matches!(err, SignError::BadSignature), "{err:?}");
    // A forged trusted comment breaks the global signature.
    let forged = one.replace("ferry bundle x", "ferry bundle z");
    let err = verify(&public, b"manifest", &forged).unwrap_err();
    assert!(matches!(err, SignError::BadSignature), "{err:?}");

    let other = generate_keypair(&dir.path().join("b"), None, false).unwrap();
    let other = load_public_key(&other.public).unwrap();
    match verify(&other, b"manifest", &one).unwrap_err() {
        SignError::UntrustedKey { expected, found } => {
            assert_eq!(expected, other.key_id());
            assert_eq!(found, keys.key_id);
        }
        err => panic!("unexpected {err:?}"),
    }
    let err = verify(&public, b"manifest", "not a signature").unwrap_err();
    assert!(matches!(err, SignError::MalformedSignature(_)), "{err:?}");
    let err = sign(&key, b"manifest", "two\nlines").unwrap_err();
    assert!(matches!(err, SignError::BadComment), "{err:?}");
}

#[test]
fn public_keys_parse_from_file_text_or_bare_line() {
    let dir = tempfile::tempdir().unwrap();
    let keys = generate_keypair(&dir.path().join("k"), None, false).unwrap();
    let text = std::fs::read_to_string(&keys.public).unwrap();
    assert!(text.starts_with("untrusted comment: minisign public key "));
    let from_text = parse_public_key(&text).unwrap();
    let line = text.lines().nth(1).unwrap();
    let from_line = parse_public_key(&format!("  {line}\n")).unwrap();
    assert_eq!(from_text.key_id(), keys.key_id);
    assert_eq!(from_line.key_id(), keys.key_id);
    for bad in ["", "hello", "untrusted comment: x\nnot-base64!"] {
        let err = parse_public_key(bad).unwrap_err();
        assert!(
            matches!(err, SignError::InvalidPublicKey { .. }),
            "{bad:?}: {err:?}"
        );
    }
    let err = load_secret_key(&keys.public, None).unwrap_err();
    assert!(matches!(err, SignError::InvalidSecretKey { .. }), "{err:?}");
}

#[test]
fn damaged_unencrypted_key_is_refused() {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let dir = tempfile::tempdir().unwrap();
    let keys = generate_keypair(&dir.path().join("k"), None, false).unwrap();
    let text = std::fs::read_to_string(&keys.secret).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut raw = engine.decode(&lines[1]).unwrap();
    raw[70] ^= 1; // inside the Ed25519 seed
    lines[1] = engine.encode(&raw);
    std::fs::write(&keys.secret, lines.join("\n") + "\n").unwrap();
    let err = load_secret_key(&keys.secret, None).unwrap_err();
    assert!(matches!(err, SignError::InvalidSecretKey { .. }), "{err:?}");
    // Without a checksum the seed no longer matches the public key.
    raw[126..].fill(0);
    lines[1] = engine.encode(&raw);
    std::fs::write(&keys.secret, lines.join("\n") + "\n").unwrap();
    let err = load_secret_key(&keys.secret, None).unwrap_err();
    assert!(matches!(err, SignError::InvalidSecretKey { .. }), "{err:?}");
}
