/**
 * Programs known to be in the images the compose files use, by image repository, so a test can check
 * that a health check runs a program its image has. No Docker engine is needed: each entry states
 * where the fact comes from. An image that is not listed fails the test until someone adds it here.
 */
export const IMAGE_TOOLS: Readonly<Record<string, { readonly tools: readonly string[]; readonly source: string }>> = {
  'prom/prometheus': {
    tools: ['sh', 'wget'],
    source: 'prometheus/prometheus Dockerfile: FROM quay.io/prometheus/busybox, whose busybox provides sh and wget',
  },
  'grafana/grafana': {
    tools: ['sh', 'wget'],
    source: "Grafana's packaging Dockerfile: ARG BASE_IMAGE=alpine (tags without -ubuntu); Alpine's busybox provides sh and wget",
  },
  'otel/opentelemetry-collector-contrib': {
    tools: [],
    source: 'opentelemetry-collector-releases Dockerfile: the otelcol-contrib binary on a scratch image, without a shell',
  },
  'jaegertracing/jaeger': {
    tools: [],
    source: 'jaegertracing/jaeger cmd/jaeger/Dockerfile: only /cmd/jaeger/jaeger-linux is copied onto a base image set at build time, so nothing else is relied on',
  },
};

/** Repository part of an image reference: `prom/prometheus:v3.4.1` → `prom/prometheus`. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@', 1)[0]!;
  const lastColon = withoutDigest.lastIndexOf(':');
  return lastColon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, lastColon) : withoutDigest;
}
