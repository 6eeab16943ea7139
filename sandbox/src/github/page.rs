//! GitHub-style pagination: `per_page` (default 30, max 100) and `page`
//! (from 1), and the `Link` header with absolute first/prev/next/last URLs.

use serde::Deserialize;

/// The paging part of a query string; values that do not parse are ignored,
/// as GitHub does.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    per_page: Option<String>,
    page: Option<String>,
}

/// One page cut out of a list, plus its `Link` header value.
pub(crate) struct Paged<T> {
    /// Items on this page.
    pub(crate) items: Vec<T>,
    /// The `Link` header, absent when everything fits on one page.
    pub(crate) link: Option<String>,
}

impl PageQuery {
    fn per_page(&self) -> usize {
        match self.per_page.as_deref().map(str::parse::<usize>) {
            Some(Ok(0)) | None | Some(Err(_)) => 30,
            Some(Ok(n)) => n.min(100),
        }
    }

    fn page(&self) -> usize {
        match self.page.as_deref().map(str::parse::<usize>) {
            Some(Ok(n)) if n > 0 => n,
            _ => 1,
        }
    }

    /// Cuts `items` to the requested page; `url` is the absolute list URL
    /// without query, used in the `Link` header.
    pub(crate) fn apply<T>(&self, items: Vec<T>, url: &str) -> Paged<T> {
        let per_page = self.per_page();
        let page = self.page();
        let last = items.len().div_ceil(per_page).max(1);
        let items: Vec<T> = items
            .into_iter()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .collect();
        let rel =
            |p: usize, name: &str| format!("<{url}?per_page={per_page}&page={p}>; rel=\"{name}\"");
        let mut links = Vec::new();
        if page > 1 {
            links.push(rel((page - 1).min(last), "prev"));
        }
        if page < last {
            links.push(rel(page + 1, "next"));
            links.push(rel(last, "last"));
        }
        if page > 1 {
            links.push(rel(1, "first"));
        }
        Paged {
            items,
            link: (!links.is_empty()).then(|| links.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(per_page: &str, page: &str) -> PageQuery {
        PageQuery {
            per_page: Some(per_page.to_string()),
            page: Some(page.to_string()),
        }
    }

    #[test]
    fn middle_page_links_every_way() {
        let paged = query("2", "2").apply((1..=5).collect(), "http://h/x");
        assert_eq!(paged.items, vec![3, 4]);
        assert_eq!(
            paged.link.as_deref(),
            Some(
                "<http://h/x?per_page=2&page=1>; rel=\"prev\", <http://h/x?per_page=2&page=3>; rel=\"next\", \
                 <http://h/x?per_page=2&page=3>; rel=\"last\", <http://h/x?per_page=2&page=1>; rel=\"first\""
            )
        );
    }

    #[test]
    fn defaults_and_limits() {
        let paged = PageQuery::default().apply((0..31).collect::<Vec<_>>(), "u");
        assert_eq!(paged.items.len(), 30);
        let paged = query("500", "x").apply((0..150).collect::<Vec<_>>(), "u");
        assert_eq!(paged.items.len(), 100);
        let single = query("10", "1").apply(vec![1], "u");
        assert!(single.link.is_none());
    }
}
