/**
 * A small JSON-Schema subset (as OpenAPI 3.0 uses it) for the conformance test: type, nullable, properties,
 * required, items, enum, allOf, $ref to #/components/schemas. Extra properties are allowed (the spec does not
 * forbid them). Returns the list of problems, each with its JSON path.
 */
export type SchemaObject = Record<string, unknown>;

export function validate(spec: SchemaObject, schema: SchemaObject | undefined, value: unknown, path = '$'): string[] {
  if (!schema) return [];
  if (typeof schema.$ref === 'string') return validate(spec, resolveRef(spec, schema.$ref), value, path);
  const problems: string[] = [];
  if (value === null) {
    if (schema.nullable === true) return [];
    if (schema.type !== undefined || schema.allOf !== undefined) return [`${path}: null is not allowed`];
    return [];
  }
  for (const sub of (schema.allOf as SchemaObject[] | undefined) ?? []) problems.push(...validate(spec, sub, value, path));
  const type = schema.type as string | undefined;
  if (type && !hasType(type, value)) return [...problems, `${path}: expected ${type}, got ${JSON.stringify(value)}`];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  const isObject = typeof value === 'object' && !Array.isArray(value);
  if (isObject && (schema.properties || schema.required)) {
    const obj = value as Record<string, unknown>;
    for (const name of (schema.required as string[] | undefined) ?? []) if (!(name in obj)) problems.push(`${path}.${name}: required`);
    for (const [name, sub] of Object.entries((schema.properties as Record<string, SchemaObject> | undefined) ?? {})) {
      if (name in obj) problems.push(...validate(spec, sub, obj[name], `${path}.${name}`));
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => problems.push(...validate(spec, schema.items as SchemaObject, item, `${path}[${i}]`)));
  return problems;
}

function hasType(type: string, value: unknown): boolean {
  switch (type) {
    case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array': return Array.isArray(value);
    case 'string': return typeof value === 'string';
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    default: return true;
  }
}

export function resolveRef(spec: SchemaObject, ref: string): SchemaObject {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
  let node: unknown = spec;
  for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part];
  if (!node) throw new Error(`unresolved $ref ${ref}`);
  return node as SchemaObject;
}
