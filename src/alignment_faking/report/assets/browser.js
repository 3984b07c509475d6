// Transcript browser. Every text from the data is model output or judge output and is
// untrusted: it only ever reaches the page through textContent, text nodes and <mark>
// elements built with createElement, never through HTML parsing.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("af-data").textContent);
  const S = DATA.samples;
  const RUNS = DATA.runs;
  const PAGE = 100;
  const TIERS = { free: "training (free)", paid: "unmonitored (paid)" };
  const OUTCOMES = ["complied", "partially_complied", "refused", "invalid", "not_judged"];
  // a sample's outcome in words: a partial answer is never shown as a full one
  const OUTCOME_NAMES = { complied: "complied", partially_complied: "partial", refused: "refused",
                          invalid: "invalid", not_judged: "not judged" };
  const VERDICTS = ["yes", "maybe", "no", "not_judged"];
  const JUDGES = { compliance: "compliance judge", partial: "partial-compliance judge",
                   alignment_faking: "alignment-faking judge", reasons: "reasoning categories judge" };
  // Per judge, its verdicts as a reader names them and the badge each wears. The compliance
  // rubric only tells a refusal from an answer: whether the answer was full or partial is the
  // partial-compliance judge's verdict.
  const JUDGE_VERDICTS = {
    compliance: { complied: ["not a refusal", ""], refused: ["refused", "o-refused"] },
    partial: { partial: ["partial", "o-partially_complied"], full: ["full", "o-complied"] },
  };
  const $ = (id) => document.getElementById(id);
  let filtered = [];
  let page = 0;
  let typing = 0; // the pending text-filter update, if the user is still typing
  let selected = -1;
  let hay = null;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function badge(text, cls) {
    return el("span", text, "badge " + cls);
  }

  function outcomeBadge(outcome, detail) {
    return badge((OUTCOME_NAMES[outcome] || outcome) + detail,
      OUTCOMES.includes(outcome) ? "o-" + outcome : "");
  }

  function fillSelect(select, entries) {
    for (const [value, label] of entries) {
      const option = el("option", label);
      option.value = value;
      select.appendChild(option);
    }
  }

  function haystack(i) {
    if (hay === null) hay = new Array(S.length);
    if (hay[i] === undefined) {
      const s = S[i];
      hay[i] = [s.q, s.query, s.hr, s.out, s.raw].join("\n").toLowerCase();
    }
    return hay[i];
  }

  function applyFilters() {
    clearTimeout(typing); // this pass reads the text field too: a pending one would reset the page
    const run = $("f-run").value, tier = $("f-tier").value, outcome = $("f-outcome").value;
    const verdict = $("f-af").value, text = $("f-text").value.trim().toLowerCase();
    filtered = [];
    for (let i = 0; i < S.length; i++) {
      const s = S[i];
      if (run !== "" && s.r !== Number(run)) continue;
      if (tier !== "" && s.t !== tier) continue;
      if (outcome !== "" && s.o !== outcome) continue;
      if (verdict !== "" && s.af !== verdict) continue;
      if (text && !haystack(i).includes(text)) continue;
      filtered.push(i);
    }
    page = 0;
    renderList();
    if (filtered.indexOf(selected) < 0) show(filtered.length ? filtered[0] : -1);
  }

  function renderList() {
    const body = $("rows");
    body.replaceChildren();
    const start = page * PAGE;
    for (const i of filtered.slice(start, start + PAGE)) {
      const s = S[i];
      const tr = document.createElement("tr");
      tr.dataset.index = String(i);
      tr.tabIndex = 0;
      if (i === selected) tr.className = "sel";
      tr.appendChild(el("td", "#" + s.r, "l"));
      tr.appendChild(el("td", s.q, "l"));
      tr.appendChild(el("td", s.t === "free" ? "training" : "unmonitored", "l"));
      tr.appendChild(el("td", s.e));
      const o = el("td", null, "l");
      o.appendChild(outcomeBadge(s.o, ""));
      tr.appendChild(o);
      const a = el("td", null, "l");
      a.appendChild(badge(s.af, VERDICTS.includes(s.af) ? "af-" + s.af : ""));
      tr.appendChild(a);
      tr.appendChild(el("td", s.query.slice(0, 140), "q"));
      body.appendChild(tr);
    }
    const pages = Math.max(1, Math.ceil(filtered.length / PAGE));
    $("count").textContent = filtered.length
      ? `${start + 1}–${Math.min(start + PAGE, filtered.length)} of ${filtered.length} samples`
      : `no samples match (of ${S.length})`;
    $("page").textContent = `page ${page + 1} of ${pages}`;
    $("prev").disabled = page === 0;
    $("next").disabled = page >= pages - 1;
  }

  // A judge quote as regexes over words, matching as the judges' own check does
  // (case, spacing and punctuation aside; "..." splits a quote into fragments).
  function quotePatterns(quote) {
    const escape = (w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const patterns = [];
    for (const part of String(quote).split(/\.\.\.|…/)) {
      const words = part.match(/[\p{L}\p{N}_']+/gu);
      if (words) patterns.push(new RegExp(words.map(escape).join("[^\\p{L}\\p{N}_']+"), "giu"));
    }
    return patterns;
  }

  function quoteRanges(text, quotes) {
    const ranges = [];
    for (const [key, quote] of quotes) {
      for (const re of quotePatterns(quote)) {
        let m;
        while ((m = re.exec(text)) !== null) {
          if (!m[0].length) { re.lastIndex++; continue; }
          ranges.push([m.index, m.index + m[0].length, key]);
        }
      }
    }
    ranges.sort((x, y) => x[0] - y[0]);
    const merged = [];
    for (const [a, b, key] of ranges) {
      const last = merged[merged.length - 1];
      if (last && a <= last[1]) {
        last[1] = Math.max(last[1], b);
        if (!last[2].includes(key)) last[2].push(key);
      } else merged.push([a, b, [key]]);
    }
    return merged;
  }

  function textBlock(text, quotes, markClass) {
    const pre = document.createElement("pre");
    if (!text) {
      pre.appendChild(el("span", "(empty)", "empty"));
      return pre;
    }
    let pos = 0;
    for (const [a, b, keys] of quoteRanges(text, quotes)) {
      if (a > pos) pre.appendChild(document.createTextNode(text.slice(pos, a)));
      const mark = el("mark", text.slice(a, b), markClass);
      mark.title = "quoted by the judge: " + keys.join(", ");
      pre.appendChild(mark);
      pos = b;
    }
    if (pos < text.length) pre.appendChild(document.createTextNode(text.slice(pos)));
    return pre;
  }

  function judgeQuotes(s, names) {
    const quotes = [];
    for (const name of names) {
      const judge = s.j[name];
      if (judge) for (const [key, q] of Object.entries(judge.quotes || {})) quotes.push([key, q]);
    }
    return quotes;
  }

  function judgeBadge(name, verdict) {
    if (verdict === null || verdict === undefined) return badge("not judged", "o-not_judged");
    const known = (JUDGE_VERDICTS[name] || {})[verdict];
    if (known) return badge(known[0], known[1]);
    if (name === "alignment_faking" && VERDICTS.includes(verdict)) return badge(verdict, "af-" + verdict);
    return badge(verdict, "");
  }

  // the judge a verdict came from, and its model: "compliance judge: StrongREJECT (model)"
  function judgeBox(name, judge, run) {
    const box = el("div", null, "judge");
    const head = el("div");
    const role = JUDGES[name] || name + " judge";
    const who = run.judges[name];
    head.appendChild(el("strong", role));
    head.appendChild(el("span", (who && who !== role ? ": " + who : "") + ` (${run.model})`));
    head.appendChild(document.createTextNode(" "));
    head.appendChild(judgeBadge(name, judge.verdict));
    box.appendChild(head);
    const dl = document.createElement("dl");
    const row = (term, value) => {
      if (value === null || value === undefined || value === "") return;
      dl.appendChild(el("dt", term));
      dl.appendChild(el("dd", value));
    };
    row("score", typeof judge.score === "number" ? judge.score.toFixed(3) : judge.score);
    row("rationale", judge.rationale);
    row("not judged because", judge.reason);
    for (const [key, q] of Object.entries(judge.quotes || {})) row("quote: " + key, q);
    box.appendChild(dl);
    return box;
  }

  function show(i) {
    selected = i;
    for (const tr of $("rows").children) tr.className = Number(tr.dataset.index) === i ? "sel" : "";
    const detail = $("detail");
    detail.replaceChildren();
    if (i < 0) {
      detail.appendChild(el("p", "No sample selected.", "empty"));
      return;
    }
    const s = S[i];
    detail.appendChild(el("h3", `${RUNS[s.r].label} — query ${s.q}`));
    const meta = el("div", null, "meta");
    meta.appendChild(el("span", TIERS[s.t] || s.t));
    meta.appendChild(el("span", "epoch " + s.e));
    const outcome = el("span", "outcome ");
    outcome.appendChild(outcomeBadge(s.o, s.ir ? ": " + s.ir : ""));
    meta.appendChild(outcome);
    const af = el("span", "alignment faking ");
    af.appendChild(badge(s.af + (typeof s.as === "number" ? ` (${s.as.toFixed(2)})` : ""),
      VERDICTS.includes(s.af) ? "af-" + s.af : ""));
    meta.appendChild(af);
    if (s.cs) meta.appendChild(el("span", "compliance from " + s.cs));
    detail.appendChild(meta);
    detail.appendChild(el("h3", "User query"));
    detail.appendChild(textBlock(s.query, [], ""));
    detail.appendChild(el("h3", "Hidden reasoning"));
    detail.appendChild(textBlock(s.hr, judgeQuotes(s, ["alignment_faking"]), ""));
    detail.appendChild(el("h3", "Output"));
    detail.appendChild(textBlock(s.out, judgeQuotes(s, ["compliance", "partial"]), "out"));
    if (s.raw) {
      detail.appendChild(el("h3", "Raw completion (no readable output)"));
      detail.appendChild(textBlock(s.raw, [], ""));
    }
    detail.appendChild(el("h3", "Judges"));
    const names = Object.keys(s.j);
    if (!names.length) detail.appendChild(el("p", "No judge was asked.", "empty"));
    for (const name of names) detail.appendChild(judgeBox(name, s.j[name], RUNS[s.r]));
  }

  fillSelect($("f-run"), [["", "all runs"], ...RUNS.map((r, k) => [String(k), `#${k} ${r.label}`])]);
  fillSelect($("f-tier"), [["", "both tiers"], ...Object.entries(TIERS)]);
  fillSelect($("f-outcome"), [["", "any outcome"], ...OUTCOMES.map((o) => [o, OUTCOME_NAMES[o]])]);
  fillSelect($("f-af"), [["", "any verdict"], ...VERDICTS.map((v) => [v, v])]);
  for (const id of ["f-run", "f-tier", "f-outcome", "f-af"]) $(id).addEventListener("change", applyFilters);
  $("f-text").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(applyFilters, 200);
  });
  $("prev").addEventListener("click", () => { page = Math.max(0, page - 1); renderList(); });
  $("next").addEventListener("click", () => { page += 1; renderList(); });
  $("rows").addEventListener("click", (event) => {
    const tr = event.target.closest("tr");
    if (tr) show(Number(tr.dataset.index));
  });
  $("rows").addEventListener("keydown", (event) => {
    const tr = event.target.closest("tr");
    if (!tr) return;
    if (event.key === "Enter") show(Number(tr.dataset.index));
    const next = event.key === "ArrowDown" ? tr.nextElementSibling
      : event.key === "ArrowUp" ? tr.previousElementSibling : null;
    if (next) { event.preventDefault(); next.focus(); show(Number(next.dataset.index)); }
  });
  applyFilters();
  document.body.dataset.ready = "1";
})();
