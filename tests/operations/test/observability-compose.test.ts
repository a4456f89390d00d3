import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { before, describe, it } from 'node:test';

import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { parse } from 'yaml';

import { IMAGE_TOOLS, imageRepository } from './support/image-tools.js';
import { productMetricNames, unknownMetrics } from './support/metric-names.js';
import { REPO_ROOT } from './support/repo-paths.js';

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

const OBSERVABILITY_DIR = `${REPO_ROOT}deploy/observability`;

/**
 * Loads the Compose Specification's JSON schema as the dclint package ships it (draft-07, with
 * `include` and `models`). Its `$schema` spells the draft-07 URI with https, which Ajv does not know
 * by that name, so it is dropped, because draft-07 is Ajv's default.
 */
async function loadComposeSchema(): Promise<object> {
  const packageJson = createRequire(import.meta.url).resolve('dclint/package.json');
  const schema = JSON.parse(await readFile(resolve(dirname(packageJson), 'schemas/compose.schema.json'), 'utf8')) as Record<string, unknown>;
  delete schema['$schema'];
  return schema;
}

interface ComposeService {
  image?: string;
  profiles?: string[];
  volumes?: (string | { type: string; source: string })[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
}

describe('observability compose file', () => {
  let compose: { services: Record<string, ComposeService> };

  before(async () => {
    compose = parse(await readFile(`${OBSERVABILITY_DIR}/compose.yml`, 'utf8')) as typeof compose;
  });

  it('conforms to the Compose Specification schema', async () => {
    const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
    const validate = ajv.compile(await loadComposeSchema());
    assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
  });

  it('puts every service in the observability profile', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      assert.deepEqual(service.profiles, ['observability'], name);
    }
  });

  it('runs each health check with a program its image has', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      assert.ok(service.image, `${name} has no image`);
      const facts = IMAGE_TOOLS[imageRepository(service.image)];
      assert.ok(facts, `${name}: add what ${service.image} contains to support/image-tools.ts`);
      const test = service.healthcheck?.test;
      if (test === undefined || service.healthcheck?.disable === true) continue;
      const [form, ...command] = typeof test === 'string' ? ['CMD-SHELL', test] : test;
      const programs = form === 'CMD-SHELL' ? ['sh', command.join(' ').trim().split(/\s+/)[0]!] : [command[0]!];
      assert.ok(form === 'CMD' || form === 'CMD-SHELL', `${name}: health check form ${form}`);
      for (const program of programs) {
        assert.ok(facts.tools.includes(program), `${name}: ${service.image} has no ${program} (${facts.source})`);
      }
    }
  });

  it('mounts configuration files that exist', async () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':', 1)[0]! : volume.source;
        if (!source.startsWith('.')) continue; // a named volume
        await assert.doesNotReject(access(resolve(OBSERVABILITY_DIR, source)), `${name} mounts missing ${source}`);
      }
    }
  });
});

describe('observability configuration', () => {
  let known: Set<string>;

  before(async () => {
    known = await productMetricNames();
  });

  it('scrapes the API, the workers and RabbitMQ', async () => {
    const config = parse(await readFile(`${OBSERVABILITY_DIR}/prometheus/prometheus.yml`, 'utf8')) as { scrape_configs: { job_name: string }[] };
    assert.deepEqual(config.scrape_configs.map((job) => job.job_name).sort(), ['ingestion-api', 'processor-worker', 'rabbitmq']);
  });

  it('alerts only on metrics the product defines', async () => {
    const rules = parse(await readFile(`${OBSERVABILITY_DIR}/prometheus/alerts.yml`, 'utf8')) as {
      groups: { rules: { alert: string; expr: string; annotations: { runbook: string } }[] }[];
    };
    const alerts = rules.groups.flatMap((group) => group.rules);
    assert.ok(alerts.length >= 4);
    for (const alert of alerts) {
      assert.deepEqual(unknownMetrics(alert.expr, known), [], alert.alert);
      assert.match(alert.annotations.runbook, /^docs\/operations\.md#/, alert.alert);
    }
  });

  it('charts the pipeline with metrics the product defines', async () => {
    const dashboard = JSON.parse(await readFile(`${OBSERVABILITY_DIR}/grafana/dashboards/ingestion-pipeline.json`, 'utf8')) as {
      uid: string;
      panels: { type: string; title: string; targets?: { expr: string }[] }[];
    };
    assert.equal(dashboard.uid, 'ingestion-pipeline');
    const charts = dashboard.panels.filter((panel) => panel.type !== 'row');
    for (const panel of charts) {
      assert.ok((panel.targets ?? []).length > 0, `${panel.title} has no query`);
      for (const target of panel.targets!) assert.deepEqual(unknownMetrics(target.expr, known), [], panel.title);
    }
    const everyQuery = charts.flatMap((panel) => panel.targets!.map((target) => target.expr)).join('\n');
    for (const metric of known) assert.ok(everyQuery.includes(metric), `the dashboard does not chart ${metric}`);
  });

  it('sends the collector spans to Jaeger', async () => {
    const config = parse(await readFile(`${OBSERVABILITY_DIR}/otel-collector/config.yaml`, 'utf8')) as {
      receivers: { otlp: { protocols: { http: { endpoint: string } } } };
      exporters: Record<string, { endpoint: string }>;
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
    };
    assert.equal(config.receivers.otlp.protocols.http.endpoint, '0.0.0.0:4318');
    assert.deepEqual(config.service.pipelines.traces.receivers, ['otlp']);
    const [exporter] = config.service.pipelines.traces.exporters;
    assert.equal(config.exporters[exporter!]?.endpoint, 'jaeger:4317');
  });
});
