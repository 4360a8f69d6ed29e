// Reads a survey's OData feed as an outside client would (tests/odata/test_client.py runs it):
// $metadata through the OASIS TC's CSDL reader (odata-csdl, strict), Responses through @odata/client
// with HTTP Basic (any user name, the API key as password), $filter, $count and every page by
// following @odata.nextLink ($skiptoken). Prints one JSON object on stdout.
//
// node client.js SERVICE_URL API_KEY PAGE_SIZE FILTER...
"use strict";
const { OData } = require("@odata/client");
const { xml2json } = require("odata-csdl");

async function main() {
  const [service, key, pageSize, ...filters] = process.argv.slice(2);
  const auth = "Basic " + Buffer.from(`powerbi:${key}`).toString("base64");

  const metadataResponse = await fetch(`${service}$metadata`, { headers: { Authorization: auth } });
  if (!metadataResponse.ok) throw new Error(`$metadata: HTTP ${metadataResponse.status}`);
  const messages = [];
  const csdl = xml2json(await metadataResponse.text(), { strict: true, annotations: true, messages });
  const namespace = Object.keys(csdl).find((name) => !name.startsWith("$"));
  const responseType = csdl[namespace].Response;
  const properties = Object.keys(responseType).filter((name) => !name.startsWith("$") && !name.startsWith("@"));
  const descriptions = Object.fromEntries(properties.map((name) => [name, responseType[name]["@Core.Description"] ?? null]));
  const types = Object.fromEntries(properties.map((name) => [name, responseType[name].$Type ?? "Edm.String"]));
  const entitySets = Object.keys(csdl[namespace].Container).filter((name) => !name.startsWith("$"));

  const client = OData.New4({
    serviceEndpoint: service,
    credential: { username: "powerbi", password: key },
    commonHeaders: { Prefer: `odata.maxpagesize=${pageSize}` },
  });
  const results = [];
  for (const filter of filters) {
    // the entity set's own count() ($count=true&$top=1) where no $filter string is given
    const counted = filter ? null : await client.getEntitySet("Responses").count();
    const ids = [];
    let pages = 0;
    let count = null;
    let skiptoken = null;
    for (;;) {
      const params = OData.newParam().count(true).select(["id"]);
      if (filter) params.filter(filter);
      if (skiptoken) params.custom("$skiptoken", skiptoken);
      const page = await client.newRequest({ collection: "Responses", method: "GET", params });
      if (page.error) throw new Error(`Responses: ${JSON.stringify(page.error)}`);
      pages += 1;
      if (count === null) count = page["@odata.count"];
      ids.push(...page.value.map((entity) => entity.id));
      const next = page["@odata.nextLink"];
      if (!next) break;
      skiptoken = new URL(next).searchParams.get("$skiptoken");
    }
    results.push({ filter, count, counted, rows: ids.length, pages, ids });
  }
  process.stdout.write(JSON.stringify({ entitySets, properties, descriptions, types, messages, results }));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
