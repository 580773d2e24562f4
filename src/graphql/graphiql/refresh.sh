#!/usr/bin/env bash
# Refreshes GraphiQL's embedded assets from npm: the release bundles of the pinned versions
# (set them here and in `src/graphql/graphiql.rs`), with their licences. Needs npm and network
# access to the registry; run from anywhere, then rebuild.
set -euo pipefail
GRAPHIQL=4.1.2
REACT=18.3.1
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null
for pkg in graphiql react react-dom; do
  mkdir "$pkg"
  tar xzf "$pkg"-*.tgz -C "$pkg"
done
cp graphiql/package/graphiql.min.js graphiql/package/graphiql.min.css "$here/"
cp react/package/umd/react.production.min.js react-dom/package/umd/react-dom.production.min.js "$here/"
cp graphiql/package/LICENSE "$here/LICENSE.graphiql"
cp react/package/LICENSE "$here/LICENSE.react"
echo "GraphiQL $GRAPHIQL and React $REACT copied into $here"
