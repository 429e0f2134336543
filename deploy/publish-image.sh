#!/usr/bin/env bash
# Builds the REST API's image (examples/django-api/Dockerfile, from the repository root) and pushes it to Google
# Container Registry with a service-account key: CircleCI's publish-api-image job runs this on main after the tests.
#
# Project variables (CircleCI → Project Settings → Environment Variables):
#   GCLOUD_SERVICE_KEY   the service account's JSON key (role: Storage Admin on the registry's bucket, or Artifact
#                        Registry Writer)
#   GOOGLE_PROJECT_ID    the Google Cloud project
#   GCR_REGISTRY         the registry's host name (the regional Container Registry host of the project)
#   GCR_IMAGE            the image name (e.g. koko-api)
# Tags: the commit (CIRCLE_SHA1, else git's HEAD) and latest.
set -euo pipefail
cd "$(dirname "$0")/.."
for name in GCLOUD_SERVICE_KEY GOOGLE_PROJECT_ID GCR_REGISTRY GCR_IMAGE; do
    if [ -z "${!name:-}" ]; then
        echo "publish-image: the project variable $name is not set" >&2
        exit 1
    fi
done
commit=${CIRCLE_SHA1:-$(git rev-parse HEAD)}
image="$GCR_REGISTRY/$GOOGLE_PROJECT_ID/$GCR_IMAGE"

docker build -f examples/django-api/Dockerfile -t "$image:$commit" -t "$image:latest" .

# gcloud's pattern when gcloud is there (activate the key, let gcloud be docker's credential helper); else docker's
# own login with the key as the password of the `_json_key` user. The key goes through stdin or a file removed at
# exit, never on a command line.
key_file=$(mktemp)
trap 'rm -f "$key_file"; docker logout "$GCR_REGISTRY" >/dev/null 2>&1 || true' EXIT
printf '%s' "$GCLOUD_SERVICE_KEY" > "$key_file"
if command -v gcloud >/dev/null; then
    gcloud auth activate-service-account --key-file="$key_file" --project="$GOOGLE_PROJECT_ID" --quiet
    gcloud auth configure-docker "$GCR_REGISTRY" --quiet
else
    docker login -u _json_key --password-stdin "https://$GCR_REGISTRY" < "$key_file"
fi
docker push "$image:$commit"
docker push "$image:latest"
echo "publish-image: pushed $image:$commit and $image:latest"
