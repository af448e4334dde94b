// A small GraphQL executor for the demo's fake Shopify: parses a query document (fields, aliases,
// arguments, variables, fragments, @include/@skip) and resolves it against plain objects, so the fake
// answers exactly the fields the app asked for and rejects unknown ones the way Shopify does.
// Not a general GraphQL server: no type checking of arguments, no validation beyond field existence.

type ValueNode =
  | { kind: "var"; name: string }
  | { kind: "list"; items: ValueNode[] }
  | { kind: "object"; fields: Record<string, ValueNode> }
  | { kind: "const"; value: unknown };

interface FieldNode {
  kind: "field";
  alias: string;
  name: string;
  args: Record<string, ValueNode>;
  directives: DirectiveNode[];
  selections: SelectionNode[] | null;
}
interface DirectiveNode {
  name: string;
  args: Record<string, ValueNode>;
}
type SelectionNode =
  | FieldNode
  | { kind: "inline"; typeCondition: string | null; directives: DirectiveNode[]; selections: SelectionNode[] }
  | { kind: "spread"; name: string; directives: DirectiveNode[] };

interface OperationNode {
  operation: "query" | "mutation" | "subscription";
  name: string | null;
  variableDefaults: Record<string, ValueNode>;
  selections: SelectionNode[];
}
interface FragmentNode {
  name: string;
  typeCondition: string;
  selections: SelectionNode[];
}

export interface ParsedDocument {
  operations: OperationNode[];
  fragments: Map<string, FragmentNode>;
}

export class GraphqlSyntaxError extends Error {}

const PUNCTUATION = new Set(["{", "}", "(", ")", ":", "$", "!", "=", "[", "]", "@", "|", "&"]);

function tokenize(source: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === "#") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (/[\s,\uFEFF]/.test(c)) {
      i++;
    } else if (source.startsWith("...", i)) {
      tokens.push("...");
      i += 3;
    } else if (PUNCTUATION.has(c)) {
      tokens.push(c);
      i++;
    } else if (source.startsWith('"""', i)) {
      const end = source.indexOf('"""', i + 3);
      if (end < 0) throw new GraphqlSyntaxError("Unterminated block string");
      tokens.push(JSON.stringify(source.slice(i + 3, end)));
      i = end + 3;
    } else if (c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== '"') j += source[j] === "\\" ? 2 : 1;
      if (j >= source.length) throw new GraphqlSyntaxError("Unterminated string");
      tokens.push(source.slice(i, j + 1));
      i = j + 1;
    } else {
      const match = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|[_A-Za-z][_0-9A-Za-z]*)/.exec(source.slice(i));
      if (!match) throw new GraphqlSyntaxError(`Unexpected character "${c}"`);
      tokens.push(match[0]);
      i += match[0].length;
    }
  }
  return tokens;
}

export function parseGraphql(source: string): ParsedDocument {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => {
    if (pos >= tokens.length) throw new GraphqlSyntaxError("Unexpected end of document");
    return tokens[pos++];
  };
  const expect = (token: string) => {
    const got = next();
    if (got !== token) throw new GraphqlSyntaxError(`Expected "${token}", found "${got}"`);
  };
  const name = () => {
    const got = next();
    if (!/^[_A-Za-z]/.test(got)) throw new GraphqlSyntaxError(`Expected a name, found "${got}"`);
    return got;
  };

  function value(): ValueNode {
    const token = next();
    if (token === "$") return { kind: "var", name: name() };
    if (token === "[") {
      const items: ValueNode[] = [];
      while (peek() !== "]") items.push(value());
      expect("]");
      return { kind: "list", items };
    }
    if (token === "{") {
      const fields: Record<string, ValueNode> = {};
      while (peek() !== "}") {
        const key = name();
        expect(":");
        fields[key] = value();
      }
      expect("}");
      return { kind: "object", fields };
    }
    if (token.startsWith('"')) return { kind: "const", value: JSON.parse(token) };
    if (token === "true" || token === "false") return { kind: "const", value: token === "true" };
    if (token === "null") return { kind: "const", value: null };
    if (/^-?\d/.test(token)) return { kind: "const", value: Number(token) };
    return { kind: "const", value: token }; // enum value
  }

  function args(): Record<string, ValueNode> {
    const result: Record<string, ValueNode> = {};
    if (peek() !== "(") return result;
    expect("(");
    while (peek() !== ")") {
      const key = name();
      expect(":");
      result[key] = value();
    }
    expect(")");
    return result;
  }

  function directives(): DirectiveNode[] {
    const result: DirectiveNode[] = [];
    while (peek() === "@") {
      next();
      result.push({ name: name(), args: args() });
    }
    return result;
  }

  function selectionSet(): SelectionNode[] {
    expect("{");
    const selections: SelectionNode[] = [];
    while (peek() !== "}") {
      if (peek() === "...") {
        next();
        if (peek() === "on" || peek() === "{" || peek() === "@") {
          let typeCondition: string | null = null;
          if (peek() === "on") {
            next();
            typeCondition = name();
          }
          const dirs = directives();
          selections.push({ kind: "inline", typeCondition, directives: dirs, selections: selectionSet() });
        } else {
          selections.push({ kind: "spread", name: name(), directives: directives() });
        }
        continue;
      }
      let alias = name();
      let fieldName = alias;
      if (peek() === ":") {
        next();
        fieldName = name();
      }
      const fieldArgs = args();
      const dirs = directives();
      const sub = peek() === "{" ? selectionSet() : null;
      selections.push({ kind: "field", alias, name: fieldName, args: fieldArgs, directives: dirs, selections: sub });
      alias = "";
    }
    expect("}");
    return selections;
  }

  function skipType() {
    if (peek() === "[") {
      next();
      skipType();
      expect("]");
    } else {
      name();
    }
    if (peek() === "!") next();
  }

  const operations: OperationNode[] = [];
  const fragments = new Map<string, FragmentNode>();
  while (pos < tokens.length) {
    const token = peek();
    if (token === "{") {
      operations.push({ operation: "query", name: null, variableDefaults: {}, selections: selectionSet() });
    } else if (token === "query" || token === "mutation" || token === "subscription") {
      next();
      const opName = peek() !== "(" && peek() !== "{" && peek() !== "@" ? name() : null;
      const variableDefaults: Record<string, ValueNode> = {};
      if (peek() === "(") {
        next();
        while (peek() !== ")") {
          expect("$");
          const variable = name();
          expect(":");
          skipType();
          if (peek() === "=") {
            next();
            variableDefaults[variable] = value();
          }
          directives();
        }
        expect(")");
      }
      directives();
      operations.push({ operation: token, name: opName, variableDefaults, selections: selectionSet() });
    } else if (token === "fragment") {
      next();
      const fragmentName = name();
      expect("on");
      const typeCondition = name();
      directives();
      fragments.set(fragmentName, { name: fragmentName, typeCondition, selections: selectionSet() });
    } else {
      throw new GraphqlSyntaxError(`Unexpected "${token}"`);
    }
  }
  if (operations.length === 0) throw new GraphqlSyntaxError("The document has no operation");
  return { operations, fragments };
}

/**
 * A resolvable object: `__typename` plus fields that are values, nested objects, or functions of the
 * field's arguments. `__implements` lists interfaces for fragment type conditions (Node, HasMetafields...).
 */
export interface GqlObject {
  __typename: string;
  __implements?: string[];
  [field: string]: unknown;
}

export interface GraphqlError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

export interface ExecuteResult {
  data?: Record<string, unknown> | null;
  errors?: GraphqlError[];
}

export function executeGraphql(options: {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string | null;
  roots: { query: GqlObject; mutation: GqlObject };
}): ExecuteResult {
  let document: ParsedDocument;
  try {
    document = parseGraphql(options.query);
  } catch (error) {
    return { errors: [{ message: `Parse error: ${(error as Error).message}`, extensions: { code: "PARSE_ERROR" } }] };
  }
  const operation = options.operationName
    ? document.operations.find((op) => op.name === options.operationName)
    : document.operations[0];
  if (!operation) return { errors: [{ message: `Unknown operation named "${options.operationName}".` }] };
  if (operation.operation === "subscription") return { errors: [{ message: "Subscriptions are not supported." }] };

  const variables: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(operation.variableDefaults)) variables[key] = evaluate(node, {});
  Object.assign(variables, options.variables ?? {});

  const errors: GraphqlError[] = [];
  const root = operation.operation === "mutation" ? options.roots.mutation : options.roots.query;

  function evaluate(node: ValueNode, vars: Record<string, unknown>): unknown {
    switch (node.kind) {
      case "var":
        return vars[node.name] ?? null;
      case "list":
        return node.items.map((item) => evaluate(item, vars));
      case "object":
        return Object.fromEntries(Object.entries(node.fields).map(([k, v]) => [k, evaluate(v, vars)]));
      case "const":
        return node.value;
    }
  }

  function included(dirs: DirectiveNode[]) {
    for (const directive of dirs) {
      const condition = directive.args.if ? evaluate(directive.args.if, variables) : true;
      if (directive.name === "include" && !condition) return false;
      if (directive.name === "skip" && condition) return false;
    }
    return true;
  }

  function matchesType(object: GqlObject, typeCondition: string | null) {
    return !typeCondition || typeCondition === object.__typename || (object.__implements ?? []).includes(typeCondition);
  }

  function collect(object: GqlObject, selections: SelectionNode[], into: FieldNode[] = []): FieldNode[] {
    for (const selection of selections) {
      if (!included(selection.directives)) continue;
      if (selection.kind === "field") into.push(selection);
      else if (selection.kind === "inline") {
        if (matchesType(object, selection.typeCondition)) collect(object, selection.selections, into);
      } else {
        const fragment = document.fragments.get(selection.name);
        if (!fragment) {
          errors.push({ message: `Fragment ${selection.name} was used, but not defined` });
          continue;
        }
        if (matchesType(object, fragment.typeCondition)) collect(object, fragment.selections, into);
      }
    }
    return into;
  }

  function resolveObject(object: GqlObject, selections: SelectionNode[], path: (string | number)[]) {
    const result: Record<string, unknown> = {};
    for (const field of collect(object, selections)) {
      const fieldPath = [...path, field.alias];
      if (field.name === "__typename") {
        result[field.alias] = object.__typename;
        continue;
      }
      if (!(field.name in object)) {
        errors.push({
          message: `Field '${field.name}' doesn't exist on type '${object.__typename}'`,
          path: fieldPath,
          extensions: { code: "undefinedField", typeName: object.__typename, fieldName: field.name },
        });
        continue;
      }
      let value = object[field.name];
      if (typeof value === "function") {
        const args = Object.fromEntries(Object.entries(field.args).map(([k, v]) => [k, evaluate(v, variables)]));
        try {
          value = (value as (args: Record<string, unknown>) => unknown)(args);
        } catch (error) {
          errors.push({ message: (error as Error).message, path: fieldPath });
          value = null;
        }
      }
      result[field.alias] = complete(value, field, fieldPath);
    }
    return result;
  }

  function complete(value: unknown, field: FieldNode, path: (string | number)[]): unknown {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) return value.map((item, index) => complete(item, field, [...path, index]));
    if (typeof value === "object" && "__typename" in (value as object)) {
      if (!field.selections) {
        errors.push({ message: `Field must have selections (field '${field.name}' returns ${(value as GqlObject).__typename} but has no selections)`, path });
        return null;
      }
      return resolveObject(value as GqlObject, field.selections, path);
    }
    if (field.selections) {
      errors.push({ message: `Selections can't be made on scalars (field '${field.name}')`, path });
      return null;
    }
    return value;
  }

  const data = resolveObject(root, operation.selections, []);
  // Shopify answers unknown fields with errors and no data at all (validation happens before execution).
  if (errors.some((e) => e.extensions?.code === "undefinedField")) return { errors };
  return errors.length ? { data, errors } : { data };
}
