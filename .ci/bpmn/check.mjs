#!/usr/bin/env node
// CI checks for the BPMN diagrams in bpmn/.
//
// Usage: node check.mjs [file.bpmn ...]   (default: every bpmn/*.bpmn of the repository)
//
// For each file:
//   1. bpmnlint with the repository's .bpmnlintrc (which must extend bpmnlint:recommended);
//      every report counts, errors and warnings alike;
//   2. import with bpmn-moddle; every import warning counts;
//   3. diagram interchange completeness: every flow node (also inside sub-processes) has a
//      BPMNShape with bounds, every sequence flow a BPMNEdge with at least two waypoints, and
//      every participant and lane a BPMNShape with bounds.
//
// Prints one line per problem ("file: element-id: message"), a summary line per file,
// and exits 1 if there is any problem.

import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

import { BpmnModdle } from 'bpmn-moddle';
import bpmnlint from 'bpmnlint';

const require = createRequire(import.meta.url);
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver.js');
const { Linter } = bpmnlint;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
const RC_FILE = path.join(REPO_ROOT, '.bpmnlintrc');
const REQUIRED_BASE = 'bpmnlint:recommended';


function oneLine(text) {
  return String(text).replace(/\s+/g, ' ').trim();
}

function displayName(file) {
  const rel = path.relative(REPO_ROOT, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

async function defaultFiles() {
  const dir = path.join(REPO_ROOT, 'bpmn');
  if (!existsSync(dir)) {
    return [];
  }
  const names = await readdir(dir);
  return names
    .filter(name => name.endsWith('.bpmn'))
    .sort()
    .map(name => path.join(dir, name));
}

/**
 * The lint configuration: the repository's .bpmnlintrc, which must extend
 * bpmnlint:recommended (so local tweaks can only add to the recommended rules'
 * coverage, never silently drop the base set). Falls back to the recommended
 * set when the file is missing, and reports that as a problem.
 */
async function loadLintConfig(problems) {
  if (!existsSync(RC_FILE)) {
    problems.push(`${displayName(RC_FILE)}: -: missing; using ${REQUIRED_BASE}`);
    return { extends: REQUIRED_BASE };
  }
  let config;
  try {
    config = JSON.parse(await readFile(RC_FILE, 'utf8'));
  } catch (err) {
    problems.push(`${displayName(RC_FILE)}: -: not valid JSON (${oneLine(err.message)}); using ${REQUIRED_BASE}`);
    return { extends: REQUIRED_BASE };
  }
  const bases = [].concat(config.extends || []);
  if (!bases.includes(REQUIRED_BASE)) {
    problems.push(`${displayName(RC_FILE)}: -: must extend "${REQUIRED_BASE}"; added`);
    config = { ...config, extends: [ REQUIRED_BASE, ...bases ] };
  }
  return config;
}


// ---------------------------------------------------------------------------------------
// 1. bpmnlint
// ---------------------------------------------------------------------------------------

async function lint(linter, definitions, report) {
  const results = await linter.lint(definitions);
  for (const [ rule, reports ] of Object.entries(results)) {
    for (const entry of reports) {
      const category = entry.category || 'error';
      report(entry.id || '-', `${oneLine(entry.message)} (bpmnlint ${rule}, ${category})`);
    }
  }
}


// ---------------------------------------------------------------------------------------
// 3. diagram interchange completeness
// ---------------------------------------------------------------------------------------

function diByElement(definitions) {
  const map = new Map();
  for (const diagram of definitions.diagrams || []) {
    const plane = diagram.plane;
    if (!plane) {
      continue;
    }
    for (const di of plane.planeElement || []) {
      const element = di.bpmnElement;
      if (!element) {
        continue;
      }
      if (!map.has(element)) {
        map.set(element, []);
      }
      map.get(element).push(di);
    }
  }
  return map;
}

function hasValidBounds(shape) {
  const b = shape.bounds;
  return !!b && [ 'x', 'y', 'width', 'height' ].every(key => Number.isFinite(b[key])) &&
    b.width > 0 && b.height > 0;
}

function checkShape(element, diMap, what, report) {
  const shapes = (diMap.get(element) || []).filter(di => di.$instanceOf('bpmndi:BPMNShape'));
  if (!shapes.length) {
    report(element.id, `${what} has no BPMNShape`);
  } else if (!shapes.some(hasValidBounds)) {
    report(element.id, `${what} has a BPMNShape without valid dc:Bounds`);
  }
}

function checkEdge(element, diMap, report) {
  const edges = (diMap.get(element) || []).filter(di => di.$instanceOf('bpmndi:BPMNEdge'));
  if (!edges.length) {
    report(element.id, 'sequence flow has no BPMNEdge');
    return;
  }
  const ok = edges.some(edge => {
    const points = edge.waypoint || [];
    return points.length >= 2 && points.every(p => Number.isFinite(p.x) && Number.isFinite(p.y));
  });
  if (!ok) {
    report(element.id, 'sequence flow\'s BPMNEdge has fewer than 2 valid waypoints');
  }
}

function checkLaneSets(laneSets, diMap, report) {
  for (const laneSet of laneSets || []) {
    for (const lane of laneSet.lanes || []) {
      checkShape(lane, diMap, 'lane', report);
      if (lane.childLaneSet) {
        checkLaneSets([ lane.childLaneSet ], diMap, report);
      }
    }
  }
}

function checkFlowElements(container, diMap, report) {
  checkLaneSets(container.laneSets, diMap, report);
  for (const element of container.flowElements || []) {
    if (element.$instanceOf('bpmn:FlowNode')) {
      checkShape(element, diMap, 'flow node', report);
    } else if (element.$instanceOf('bpmn:SequenceFlow')) {
      checkEdge(element, diMap, report);
    }
    if (element.$instanceOf('bpmn:FlowElementsContainer')) {
      // sub-processes, transactions, ad-hoc sub-processes
      checkFlowElements(element, diMap, report);
    }
  }
}

function checkDiagramInterchange(definitions, report) {
  const diMap = diByElement(definitions);
  if (!(definitions.diagrams || []).length) {
    report(definitions.id || '-', 'file has no BPMNDiagram');
  }
  for (const root of definitions.rootElements || []) {
    if (root.$instanceOf('bpmn:Collaboration')) {
      for (const participant of root.participants || []) {
        checkShape(participant, diMap, 'participant', report);
      }
    }
    if (root.$instanceOf('bpmn:Process')) {
      checkFlowElements(root, diMap, report);
    }
  }
}


// ---------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------

async function checkFile(file, linter) {
  const name = displayName(file);
  const problems = [];
  const report = (id, message) => problems.push(`${name}: ${id}: ${message}`);

  let xml;
  try {
    xml = await readFile(file, 'utf8');
  } catch (err) {
    report('-', `cannot read file (${oneLine(err.message)})`);
    return problems;
  }

  // 2. import with bpmn-moddle (done first: the linter works on the imported model)
  const moddle = new BpmnModdle();
  let imported;
  try {
    imported = await moddle.fromXML(xml, 'bpmn:Definitions');
  } catch (err) {
    report('-', `bpmn-moddle cannot import the file (${oneLine(err.message)})`);
    return problems;
  }
  const { rootElement: definitions, warnings = [] } = imported;

  // 1. bpmnlint
  try {
    await lint(linter, definitions, report);
  } catch (err) {
    report('-', `bpmnlint failed (${oneLine(err.message)})`);
  }

  for (const warning of warnings) {
    const id = (warning.element && warning.element.id) || '-';
    report(id, `bpmn-moddle import warning: ${oneLine(warning.message)}`);
  }

  // 3. diagram interchange
  checkDiagramInterchange(definitions, report);

  return problems;
}

async function main() {
  const args = process.argv.slice(2);
  const files = args.length ? args.map(arg => path.resolve(arg)) : await defaultFiles();

  const globalProblems = [];
  const config = await loadLintConfig(globalProblems);

  // A fresh Linter per file: bpmnlint instantiates each rule once per Linter and some
  // rules keep state between lint() calls (e.g. no-duplicate-sequence-flows), which
  // would leak findings from one file into the next.
  // `require` resolves rule packages from here; bpmnlint's own rules and configs are
  // resolved by the resolver relative to itself.
  const newLinter = () => new Linter({ config, resolver: new NodeResolver({ require }) });

  let total = globalProblems.length;
  globalProblems.forEach(line => console.log(line));

  if (!files.length) {
    console.log(`no BPMN files to check (looked in ${displayName(path.join(REPO_ROOT, 'bpmn'))}/)`);
    process.exit(1);
  }

  for (const file of files) {
    const problems = await checkFile(file, newLinter());
    problems.forEach(line => console.log(line));
    const name = displayName(file);
    console.log(problems.length
      ? `${name}: FAILED with ${problems.length} problem${problems.length === 1 ? '' : 's'}`
      : `${name}: OK (bpmnlint recommended, bpmn-moddle import, diagram interchange)`);
    total += problems.length;
  }

  if (total) {
    console.log(`BPMN checks failed: ${total} problem${total === 1 ? '' : 's'} in ${files.length} file(s)`);
    process.exit(1);
  }
  console.log(`BPMN checks passed: ${files.length} file(s)`);
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
