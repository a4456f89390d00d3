import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';

import { loadConfig, topologyNames } from '@ingestion/core';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';

import { containersOf, parseYaml, renderKustomization, type Manifest } from './support/kustomize.js';
import { REPO_ROOT } from './support/repo-paths.js';

const BASE_DIR = `${REPO_ROOT}deploy/kubernetes/base`;

/**
 * Model classes whose validate() checks an object against the JSON schema of its kind. Kubernetes'
 * own kinds come from the kubernetes-models package, generated from the Kubernetes OpenAPI document.
 * Its schemas include resource.k8s.io/v1, which became GA in Kubernetes 1.34. KEDA's kinds come from
 * @kubernetes-models/keda.
 * NOTE: these schemas, like the OpenAPI document, accept unknown fields, so a misspelt optional
 * field passes. The checks below cover the fields this project depends on.
 */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

interface Probe {
  httpGet?: { path: string; port: string | number };
}

interface Container {
  name: string;
  image: string;
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}

describe('kubernetes manifests', () => {
  let manifests: Manifest[];

  const byKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
  const find = (kind: string, name: string) => {
    const manifest = manifests.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
    assert.ok(manifest, `no ${kind} ${name}`);
    return manifest;
  };
  const spec = <T>(manifest: Manifest) => manifest['spec'] as T;

  before(async () => {
    manifests = await renderKustomization(BASE_DIR);
  });

  it('render as kubectl kustomize renders them', async (t) => {
    const kubectl = await promisify(execFile)('kubectl', ['kustomize', BASE_DIR], { maxBuffer: 16 * 1024 * 1024 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (kubectl === undefined) {
      t.skip('kubectl is not installed; the manifests were rendered by renderKustomization only');
      return;
    }
    const key = (manifest: Manifest) => `${manifest.kind}/${manifest.metadata.name}`;
    const sort = (list: Manifest[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
    assert.deepEqual(sort(parseYaml(kubectl.stdout) as Manifest[]), sort(manifests));
  });

  it('conform to the Kubernetes and KEDA schemas', () => {
    for (const manifest of manifests) {
      const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
      assert.ok(Model, `no schema for ${manifest.apiVersion} ${manifest.kind}`);
      assert.doesNotThrow(() => new Model(manifest as never).validate(), `${manifest.kind} ${manifest.metadata.name}`);
    }
  });

  it('carry a configuration the processes accept', () => {
    const env = { ...(find('ConfigMap', 'ingestion-config')['data'] as Record<string, string>), ...(find('Secret', 'ingestion-secrets')['stringData'] as Record<string, string>) };
    assert.doesNotThrow(() => loadConfig('kubernetes', env));
    assert.equal(env['RABBITMQ_QUEUE_TYPE'], 'quorum');
  });

  it('probe, size and configure every container', () => {
    const deployments = byKind('Deployment');
    assert.deepEqual(deployments.map((deployment) => deployment.metadata.name).sort(), ['ingestion-api', 'processor-worker']);
    for (const deployment of deployments) {
      for (const container of containersOf(deployment) as unknown as Container[]) {
        const where = `${deployment.metadata.name}/${container.name}`;
        const port = container.ports?.[0];
        assert.ok(port, `${where} declares no port`);
        assert.deepEqual(container.readinessProbe?.httpGet, { path: '/health/ready', port: port.name }, where);
        assert.deepEqual(container.livenessProbe?.httpGet, { path: '/health/live', port: port.name }, where);
        assert.ok(container.resources?.requests?.['cpu'], `${where} CPU request`);
        assert.ok(container.resources?.requests?.['memory'], `${where} memory request`);
        assert.ok(container.resources?.limits?.['memory'], `${where} memory limit`);
        assert.match(container.image, /^ghcr\.io\/example\/[a-z-]+:\d+\.\d+\.\d+$/, `${where} image tag`);
        const sources = (container.envFrom ?? []).map((source) => source.configMapRef?.name ?? source.secretRef?.name);
        assert.deepEqual(sources, ['ingestion-config', 'ingestion-secrets'], where);
      }
    }
    const worker = containersOf(find('Deployment', 'processor-worker'))[0] as unknown as Container;
    assert.equal(worker.ports?.[0]?.containerPort, 5002, 'the worker listens on WORKER_HTTP_PORT');
  });

  it('give a drain more time than the shutdown timeout', () => {
    const shutdownMs = Number((find('ConfigMap', 'ingestion-config')['data'] as Record<string, string>)['SHUTDOWN_TIMEOUT_MS']);
    for (const deployment of byKind('Deployment')) {
      const pod = spec<{ template: { spec: { terminationGracePeriodSeconds: number } } }>(deployment).template.spec;
      const preStopSeconds = Math.max(0, ...(containersOf(deployment) as unknown as Container[]).map((container) => container.lifecycle?.preStop?.sleep?.seconds ?? 0));
      assert.ok(pod.terminationGracePeriodSeconds * 1000 > shutdownMs + preStopSeconds * 1000, `${deployment.metadata.name}: grace ${pod.terminationGracePeriodSeconds} s`);
    }
  });

  it('protect each deployment with a disruption budget', () => {
    for (const deployment of byKind('Deployment')) {
      const podLabels = spec<{ template: { metadata: { labels: Record<string, string> } } }>(deployment).template.metadata.labels;
      const budgets = byKind('PodDisruptionBudget').filter((budget) => {
        const selector = spec<{ selector: { matchLabels: Record<string, string> } }>(budget).selector.matchLabels;
        return Object.entries(selector).every(([name, value]) => podLabels[name] === value);
      });
      assert.equal(budgets.length, 1, deployment.metadata.name);
    }
  });

  it('scale the workers on the processing queue', () => {
    const scaled = spec<{ scaleTargetRef: { name: string }; triggers: { type: string; metadata: Record<string, string>; authenticationRef: { name: string } }[] }>(
      find('ScaledObject', 'processor-worker'),
    );
    assert.equal(scaled.scaleTargetRef.name, 'processor-worker');
    const [trigger] = scaled.triggers;
    assert.equal(trigger?.type, 'rabbitmq');
    assert.equal(trigger.metadata['mode'], 'QueueLength');
    const prefix = (find('ConfigMap', 'ingestion-config')['data'] as Record<string, string>)['RABBITMQ_PREFIX']!;
    assert.equal(trigger.metadata['queueName'], topologyNames(prefix).processQueue);
    const auth = spec<{ secretTargetRef: { parameter: string; name: string; key: string }[] }>(find('TriggerAuthentication', trigger.authenticationRef.name));
    const secret = find('Secret', auth.secretTargetRef[0]!.name);
    assert.ok((secret['stringData'] as Record<string, string>)[auth.secretTargetRef[0]!.key], 'the trigger reads an existing secret key');
  });
});
