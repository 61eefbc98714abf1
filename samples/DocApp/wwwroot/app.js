// The documents page: shows who is calling, uploads documents to POST /api/documents, and asks
// POST /api/ask, showing the answer with the chunks it cites.
"use strict";

const statusLine = document.getElementById("status");

function setStatus(text, isError) {
  statusLine.textContent = text;
  statusLine.className = isError ? "error" : "";
}

async function problemText(response) {
  const problem = await response.json().catch(() => ({}));
  return problem.detail || `The request failed (${response.status}).`;
}

async function showCaller() {
  const me = await (await fetch("api/me")).json();
  document.getElementById("caller-name").textContent = me.name;
  document.getElementById("caller-roles").replaceChildren(...me.roles.map(role => {
    const badge = document.createElement("span");
    badge.className = "role";
    badge.textContent = role;
    return badge;
  }));
}

async function showDocuments() {
  const documents = await (await fetch("api/documents")).json();
  document.getElementById("documents").replaceChildren(...documents.map(d => {
    const item = document.createElement("li");
    item.textContent = `${d.name} (${d.bytes} bytes, ${d.chunks} chunks)`;
    return item;
  }));
}

document.getElementById("upload-form").addEventListener("submit", async event => {
  event.preventDefault();
  const form = event.target;
  setStatus("Uploading…");
  const response = await fetch("api/documents", { method: "POST", body: new FormData(form) });
  if (!response.ok) {
    setStatus(await problemText(response), true);
    return;
  }
  const summary = await response.json();
  setStatus(`Stored ${summary.name} in ${summary.chunks} chunks.`);
  form.reset();
  await showDocuments();
});

document.getElementById("ask-form").addEventListener("submit", async event => {
  event.preventDefault();
  const question = document.getElementById("question").value.trim();
  const answer = document.getElementById("answer");
  const citations = document.getElementById("citations");
  answer.textContent = "";
  citations.replaceChildren();
  setStatus("Answering…");
  const response = await fetch("api/ask", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ question }),
  });
  if (!response.ok) {
    setStatus(await problemText(response), true);
    return;
  }
  const result = await response.json();
  setStatus("");
  answer.textContent = result.answer;
  citations.replaceChildren(...result.citations.map(c => {
    const item = document.createElement("li");
    item.value = c.number;
    const source = document.createElement("strong");
    source.textContent = `${c.documentName}, chunk ${c.chunkIndex}`;
    const score = document.createTextNode(` (similarity ${c.score.toFixed(3)})`);
    const excerpt = document.createElement("span");
    excerpt.className = "excerpt";
    excerpt.textContent = c.excerpt;
    item.append(source, score, excerpt);
    return item;
  }));
});

showCaller().then(showDocuments).catch(error => setStatus(`Could not load the page's data: ${error.message}`, true));
