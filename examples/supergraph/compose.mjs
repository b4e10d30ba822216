// Compose subgraphs into a supergraph with @apollo/composition, failing on any error.
//
//   node compose.mjs customers=../../schema.graphql orders=orders.graphql
//   node compose.mjs customers=http://127.0.0.1:8000/graphql orders=orders.graphql
//
// Each argument is NAME=SOURCE, SOURCE being an SDL file or a subgraph URL (its live
// `_service { sdl }` is fetched). Prints the supergraph SDL on stdout; on failure prints
// every composition error on stderr and exits 1. Hints go to stderr and do not fail.
import { readFile } from 'node:fs/promises';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

async function fetchServiceSdl(url) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = await response.json();
  if (!response.ok || body.errors || typeof body.data?._service?.sdl !== 'string') {
    throw new Error(`${url} did not answer _service { sdl }: ${JSON.stringify(body)}`);
  }
  return body.data._service.sdl;
}

async function loadSubgraph(argument) {
  const separator = argument.indexOf('=');
  if (separator < 1) throw new Error(`expected NAME=SOURCE, got ${JSON.stringify(argument)}`);
  const name = argument.slice(0, separator);
  const source = argument.slice(separator + 1);
  const isUrl = /^https?:\/\//.test(source);
  const sdl = isUrl ? await fetchServiceSdl(source) : await readFile(source, 'utf8');
  // The URL only ends up in the supergraph's join__graph; the composer never calls it.
  return { name, url: isUrl ? source : `http://${name}.invalid/graphql`, typeDefs: parse(sdl) };
}

async function main(argv) {
  if (argv.length < 1) {
    process.stderr.write('usage: node compose.mjs NAME=SDL_FILE_OR_URL ...\n');
    return 2;
  }
  const subgraphs = await Promise.all(argv.map(loadSubgraph));
  const result = composeServices(subgraphs);
  for (const hint of result.hints ?? []) {
    process.stderr.write(`hint: [${hint.definition.code}] ${hint.message}\n`);
  }
  if (result.errors?.length) {
    for (const error of result.errors) {
      const code = error.extensions?.code ?? 'COMPOSITION_ERROR';
      process.stderr.write(`error: [${code}] ${error.message}\n`);
    }
    process.stderr.write(`composition failed with ${result.errors.length} error(s)\n`);
    return 1;
  }
  process.stdout.write(result.supergraphSdl);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
