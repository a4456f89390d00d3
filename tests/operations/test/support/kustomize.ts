import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { parseAllDocuments } from 'yaml';

/** A rendered Kubernetes object. */
export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } };

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

/** Fields of kustomization.yaml this renderer applies; any other field makes it fail rather than render something else. */
const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'labels', 'images']);

/** Kinds without a namespace among those a base for this project could hold. */
const CLUSTER_SCOPED_KINDS = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass', 'ClusterTriggerAuthentication']);

/**
 * Renders a kustomization the way `kustomize build` does, for the features the base uses: resource
 * files, `namespace`, `labels` (metadata only) and `images`. No kustomize binary comes from the npm or
 * Debian packages this project installs, so the tests render with this function. Where kubectl is
 * installed, a test checks that both render the same objects.
 */
export async function renderKustomization(dir: string): Promise<Manifest[]> {
  const kustomization = parseYaml(await readFile(resolve(dir, 'kustomization.yaml'), 'utf8'))[0] as Kustomization;
  const unsupported = Object.keys(kustomization).filter((field) => !SUPPORTED_FIELDS.has(field));
  if (unsupported.length > 0) throw new Error(`kustomization.yaml uses ${unsupported.join(', ')}, which renderKustomization does not support`);

  const manifests: Manifest[] = [];
  for (const file of kustomization.resources ?? []) {
    manifests.push(...(parseYaml(await readFile(resolve(dir, file), 'utf8')) as Manifest[]));
  }
  for (const manifest of manifests) {
    if (kustomization.namespace !== undefined && !CLUSTER_SCOPED_KINDS.has(manifest.kind)) manifest.metadata.namespace = kustomization.namespace;
    for (const label of kustomization.labels ?? []) {
      if (label.includeSelectors === true || label.includeTemplates === true) throw new Error('labels with includeSelectors or includeTemplates are not supported');
      manifest.metadata.labels = { ...manifest.metadata.labels, ...label.pairs };
    }
    for (const container of containersOf(manifest)) {
      const image = kustomization.images?.find((candidate) => candidate.name === container.image);
      if (image !== undefined) container.image = `${image.newName ?? image.name}${image.newTag === undefined ? '' : `:${image.newTag}`}`;
    }
  }
  return manifests;
}

/** Returns the containers of a workload's pod template, for image overrides and checks. */
export function containersOf(manifest: Manifest): { name: string; image: string; [field: string]: unknown }[] {
  const template = (manifest['spec'] as { template?: { spec?: { containers?: never[]; initContainers?: never[] } } } | undefined)?.template;
  return [...(template?.spec?.initContainers ?? []), ...(template?.spec?.containers ?? [])];
}

/** Parses every document of a YAML stream, throwing on the first syntax error. */
export function parseYaml(text: string): unknown[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw document.errors[0];
    return document.toJS() as unknown;
  }).filter((value) => value !== null);
}
