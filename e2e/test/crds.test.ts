import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './helpers/processes.js';

const addFormats = addFormatsModule.default;

interface Crd {
  spec: {
    names: { kind: string };
    versions: {
      name: string;
      schema: { openAPIV3Schema: Record<string, unknown> };
      additionalPrinterColumns: { jsonPath: string }[];
    }[];
  };
}

function loadYaml(file: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON() as Record<string, unknown>);
}

const crds = readdirSync(join(REPO_ROOT, 'crds')).map(
  (f) => loadYaml(join(REPO_ROOT, 'crds', f))[0] as unknown as Crd,
);

/** The CRD's schema as JSON Schema: the x-kubernetes-* extensions are the API server's, not Ajv's. */
function validatorFor(kind: string): ValidateFunction {
  const crd = crds.find((c) => c.spec.names.kind === kind);
  const schema = crd?.spec.versions[0]?.schema.openAPIV3Schema;
  if (schema === undefined) throw new Error(`no CRD for ${kind}`);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('int64', true);
  return ajv.compile(schema);
}

const exampleFolders = ['examples/quickstart', 'examples/gitops'];
const examples = exampleFolders.flatMap((folder) =>
  readdirSync(join(REPO_ROOT, folder)).flatMap((f) => loadYaml(join(REPO_ROOT, folder, f))),
);

describe('CRD manifests', () => {
  it('define both kinds in portcullis.io/v1alpha1 with a status subresource', () => {
    expect(crds.map((c) => c.spec.names.kind).sort()).toEqual(['GatewayPolicy', 'RouteClassification']);
    for (const crd of crds) {
      expect(crd.spec.versions.map((v) => v.name)).toEqual(['v1alpha1']);
      expect(crd.spec.versions[0]).toMatchObject({
        subresources: { status: {} },
        served: true,
        storage: true,
      });
    }
  });

  it.each(['RouteClassification', 'GatewayPolicy'])('accept every example %s', (kind) => {
    const validate = validatorFor(kind);
    const docs = examples.filter((d) => d.kind === kind);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect({ ok: validate(doc), errors: validate.errors ?? null }).toEqual({ ok: true, errors: null });
    }
  });

  it.each([
    ['an upper-case host', (d: any) => (d.spec.hosts = ['API.example.com'])],
    ['an unknown method', (d: any) => (d.spec.routes[0].methods = ['FETCH'])],
    ['a path that is not absolute', (d: any) => (d.spec.routes[0].path = 'v1/x')],
    ['an unknown tier', (d: any) => (d.spec.defaultTier = 'secret')],
    ['no routes', (d: any) => (d.spec.routes = [])],
  ])('refuse a RouteClassification with %s', (_label, mutate) => {
    const doc = structuredClone(examples.find((d) => d.kind === 'RouteClassification'));
    mutate(doc);
    expect(validatorFor('RouteClassification')(doc)).toBe(false);
  });

  it.each([
    ['alg none', (d: any) => (d.spec.authentication.jwt[0].algorithms = ['none'])],
    ['an HMAC algorithm', (d: any) => (d.spec.authentication.jwt[0].algorithms = ['HS256'])],
    ['an unknown mode', (d: any) => (d.spec.enforcementMode = 'Off')],
    [
      'a forwarded header outside x-',
      (d: any) => (d.spec.authentication.jwt[0].forwardClaims = [{ claim: 'sub', header: 'authorization' }]),
    ],
  ])('refuse a GatewayPolicy with %s', (_label, mutate) => {
    const doc = structuredClone(examples.find((d) => d.kind === 'GatewayPolicy'));
    mutate(doc);
    expect(validatorFor('GatewayPolicy')(doc)).toBe(false);
  });

  it('point every printer column at a field the schema declares', () => {
    for (const crd of crds) {
      const version = crd.spec.versions[0];
      const schema = JSON.stringify(version?.schema.openAPIV3Schema);
      for (const { jsonPath } of version?.additionalPrinterColumns ?? []) {
        const field = /^\.(?:spec|status|metadata)\.([A-Za-z]+)/.exec(jsonPath)?.[1];
        if (field === undefined || jsonPath.startsWith('.metadata')) continue;
        expect(`${jsonPath}: ${schema.includes(`"${field}"`)}`).toBe(`${jsonPath}: true`);
      }
    }
  });
});
