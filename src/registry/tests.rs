//! ferry's own pull, push and site check, through oci-client, against the
//! simulated registry over loopback.

use crate::bundle::manifest::BundledImage;
use crate::fetch::{Cache, NoReport};
use crate::images::reference::Mirror;
use crate::oci::Digest;
use crate::registry::{Puller, PullerSettings, PushSettings, Pusher, Site};
use ferry_sandbox::images::{
    kyma_images, kyma_installer_image, mirror_path, registry_mirror_flags, write_layout,
    GeneratedImage, BUSYBOX_IMAGE,
};
use ferry_sandbox::registry::RegistrySim;
use std::sync::Arc;

/// How many configs and layers `images` have, each counted once.
fn distinct_blobs(images: &[GeneratedImage]) -> usize {
    let mut distinct = std::collections::BTreeSet::new();
    for image in images {
        for (digest, bytes) in image.build().unwrap().blobs {
            let json: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
            let manifest =
                json.is_some_and(|v| v.get("layers").is_some() || v.get("manifests").is_some());
            if !manifest {
                distinct.insert(digest);
            }
        }
    }
    distinct.len()
}

/// The layout of `images` in `dir`, as a bundle lists them.
fn bundled(dir: &std::path::Path, images: &[GeneratedImage]) -> Vec<BundledImage> {
    write_layout(dir, images)
        .unwrap()
        .into_iter()
        .map(|entry| BundledImage {
            reference: entry.reference,
            digest: entry.digest,
            media_type: entry.media_type,
            size: entry.size,
            platforms: Vec::new(),
        })
        .collect()
}

#[tokio::test]
async fn ferry_pulls_pushes_and_checks_the_site_through_oci_client() {
    let images = kyma_images(&["1.1.0"]);
    let upstream = RegistrySim::start().await.unwrap();
    upstream.put_images(&images, mirror_path).unwrap();
    assert!(upstream
        .repositories()
        .contains(&"docker.io/library/busybox".to_string()));

    let scratch = tempfile::tempdir().unwrap();
    let references: Vec<String> = images.iter().map(|i| i.reference.clone()).collect();
    let mirrors: Vec<Mirror> = registry_mirror_flags(&upstream.host(), &references)
        .iter()
        .map(|flag| flag.parse().unwrap())
        .collect();
    let puller = Puller::new(
        PullerSettings {
            mirrors,
            insecure: vec![upstream.host()],
            ca_cert: None,
            platforms: Vec::new(),
            jobs: 2,
        },
        Cache::open(&scratch.path().join("cache")).unwrap(),
        Arc::new(NoReport),
    )
    .unwrap();
    let mut pulled = Vec::new();
    for reference in [kyma_installer_image("1.1.0"), BUSYBOX_IMAGE.to_string()] {
        pulled.push(puller.resolve(&reference).await.unwrap());
    }
    assert_eq!(pulled[1].platforms.len(), 2, "the index is kept whole");
    puller.fetch_blobs(&pulled).await.unwrap();
    for blob in pulled.iter().flat_map(|image| &image.blobs) {
        assert!(puller.blob_file(&blob.digest).is_some(), "{}", blob.digest);
    }

    let site = RegistrySim::start().await.unwrap();
    let layout = bundled(&scratch.path().join("layout"), &images);
    let pusher = Pusher::new(
        PushSettings {
            site: format!("{}/kyma", site.host()),
            insecure: vec![site.host()],
            ca_cert: None,
            jobs: 2,
        },
        Arc::new(NoReport),
    )
    .unwrap();
    let first = pusher
        .push(&scratch.path().join("layout"), &layout)
        .await
        .unwrap();
    assert_eq!(first.images, images.len());
    assert!(first.mounted > 0, "{first:?}");
    assert_eq!(first.uploaded, distinct_blobs(&images), "each blob once");
    assert_eq!(site.tags("kyma/kyma-project/kyma-installer"), ["1.1.0"]);
    assert_eq!(site.tags("kyma/library/busybox"), ["1.31"]);
    let again = pusher
        .push(&scratch.path().join("layout"), &layout)
        .await
        .unwrap();
    assert_eq!((again.uploaded, again.mounted), (0, 0), "{again:?}");

    let checker = Site::new(
        &format!("{}/kyma", site.host()),
        &[site.host()],
        None,
        Arc::new(NoReport),
    )
    .unwrap();
    let mut wanted: Vec<(String, Option<Digest>)> = layout
        .iter()
        .map(|image| (image.reference.clone(), Some(image.digest.clone())))
        .collect();
    assert!(checker.missing(&wanted).await.unwrap().is_empty());
    wanted.push((kyma_installer_image("1.3.0"), None));
    let missing = checker.missing(&wanted).await.unwrap();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].0, layout.len());
}
