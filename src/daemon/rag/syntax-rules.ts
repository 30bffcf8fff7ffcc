import type { SyntaxNode } from './syntax.js';

/**
 * What counts as a definition in the tree-sitter grammars we ship, and how to name it. Node type names
 * differ enough between grammars that one table serves all of them.
 */
const DEFINITIONS: Record<string, string> = {
  // TypeScript / JavaScript
  function_declaration: 'function',
  generator_function_declaration: 'function',
  function_signature: 'function',
  class_declaration: 'class',
  abstract_class_declaration: 'class',
  interface_declaration: 'interface',
  type_alias_declaration: 'type',
  enum_declaration: 'enum',
  method_definition: 'method',
  method_signature: 'method',
  abstract_method_signature: 'method',
  internal_module: 'namespace',
  module: 'module',
  // Python
  function_definition: 'function',
  class_definition: 'class',
  // Go
  method_declaration: 'method',
  type_declaration: 'type',
  // Rust
  function_item: 'function',
  function_signature_item: 'function',
  struct_item: 'struct',
  enum_item: 'enum',
  trait_item: 'trait',
  impl_item: 'impl',
  mod_item: 'module',
  macro_definition: 'macro',
  type_item: 'type',
  // Java / C#
  record_declaration: 'class',
  constructor_declaration: 'method',
  annotation_type_declaration: 'interface',
  struct_declaration: 'struct',
  namespace_declaration: 'namespace',
  property_declaration: 'property',
  // C / C++
  class_specifier: 'class',
  struct_specifier: 'struct',
  namespace_definition: 'namespace',
  // Ruby
  method: 'method',
  singleton_method: 'method',
  class: 'class',
  // PHP
  trait_declaration: 'trait',
};

/** Wrappers whose meaning is the definition inside them (`export function`, `@decorator def`, `declare`). */
const WRAPPERS = new Set(['export_statement', 'decorated_definition', 'ambient_declaration', 'template_declaration']);

/** `const x = () => …` and friends: a variable holding a function or class is a definition. */
const VARIABLE_DECLARATIONS = new Set(['lexical_declaration', 'variable_declaration']);
const FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'function', 'class', 'generator_function']);

const NAME_TYPES = new Set([
  'identifier',
  'type_identifier',
  'property_identifier',
  'field_identifier',
  'constant',
  'name',
  'qualified_identifier',
  'scoped_identifier',
  'scoped_type_identifier',
  'generic_type',
  'destructor_name',
  'operator_name',
]);

export const COMMENT_TYPES = new Set(['comment', 'line_comment', 'block_comment']);

export interface Definition {
  /** The node carrying the definition (inside any wrapper). */
  node: SyntaxNode;
  kind: string;
  name: string | undefined;
}

function nameOf(node: SyntaxNode): string | undefined {
  const named = node.childForFieldName('name') ?? node.childForFieldName('type');
  if (named) return clean(named.text);
  const declarator = node.childForFieldName('declarator');
  if (declarator) return declaratorName(declarator);
  if (node.type === 'type_declaration') {
    const spec = node.namedChildren.find((c) => c?.type === 'type_spec');
    const n = spec?.childForFieldName('name');
    if (n) return clean(n.text);
  }
  for (const c of node.namedChildren) if (c && NAME_TYPES.has(c.type)) return clean(c.text);
  return undefined;
}

/** C/C++ nest the name in declarators: `int (*foo)(int)` → foo. */
function declaratorName(node: SyntaxNode): string | undefined {
  let cur: SyntaxNode | null = node;
  for (let depth = 0; cur && depth < 8; depth++) {
    if (NAME_TYPES.has(cur.type)) return clean(cur.text);
    cur = cur.childForFieldName('declarator') ?? cur.namedChildren.find((c) => c !== null) ?? null;
  }
  return undefined;
}

const clean = (s: string) => (s.length > 120 ? s.slice(0, 120) : s).replace(/\s+/g, ' ');

/** The definition a top-level or member node stands for, if any. */
export function definitionOf(node: SyntaxNode): Definition | undefined {
  const kind = DEFINITIONS[node.type];
  if (kind) return { node, kind, name: nameOf(node) };
  if (WRAPPERS.has(node.type)) {
    const inner =
      node.childForFieldName('declaration') ??
      node.childForFieldName('definition') ??
      node.namedChildren.find(
        (c) => c !== null && (DEFINITIONS[c.type] !== undefined || VARIABLE_DECLARATIONS.has(c.type)),
      );
    if (inner) {
      const d = definitionOf(inner);
      if (d) return { ...d, node: d.node };
    }
    return undefined;
  }
  if (VARIABLE_DECLARATIONS.has(node.type)) {
    const declarator = node.namedChildren.find((c) => c?.type === 'variable_declarator');
    const value = declarator?.childForFieldName('value');
    if (declarator && value && FUNCTION_VALUES.has(value.type)) {
      return { node, kind: value.type === 'class' ? 'class' : 'function', name: nameOf(declarator) };
    }
  }
  return undefined;
}

/** Where the members of a class-like definition live, to chunk a definition too big for one chunk. */
export function bodyOf(def: Definition): SyntaxNode | undefined {
  let node: SyntaxNode | null = def.node;
  if (VARIABLE_DECLARATIONS.has(node.type)) {
    const value = node.namedChildren.find((c) => c?.type === 'variable_declarator')?.childForFieldName('value');
    node = value ?? null;
  }
  const body = node?.childForFieldName('body') ?? null;
  if (body && body.namedChildCount > 0) return body;
  return undefined;
}
