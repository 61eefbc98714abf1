// The chat page: shows who is calling, the caller's conversation, and streams answers from
// POST /api/chat (server-sent events read from a fetch response).
"use strict";

const messages = document.getElementById("messages");
const form = document.getElementById("chat-form");
const input = document.getElementById("message");
const send = document.getElementById("send");
const statusLine = document.getElementById("status");

function addMessage(role, text) {
  const item = document.createElement("li");
  item.className = role;
  item.textContent = text;
  messages.appendChild(item);
  item.scrollIntoView({ block: "end" });
  return item;
}

async function showCaller() {
  const response = await fetch("api/me");
  const me = await response.json();
  document.getElementById("caller-name").textContent = me.name;
  const roles = document.getElementById("caller-roles");
  roles.replaceChildren(...me.roles.map(role => {
    const badge = document.createElement("span");
    badge.className = "role";
    badge.textContent = role;
    return badge;
  }));
}

async function showConversation() {
  const response = await fetch("api/conversation");
  const conversation = await response.json();
  messages.replaceChildren();
  for (const message of conversation.messages) {
    addMessage(message.role, message.text);
  }
}

// Calls onEvent(name, data) for each server-sent event in the response body.
async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) {
          name = line.slice(7);
        } else if (line.startsWith("data: ")) {
          data += line.slice(6);
        }
      }
      onEvent(name, JSON.parse(data));
    }
  }
}

async function ask(text) {
  addMessage("user", text);
  const answer = addMessage("assistant", "");
  statusLine.textContent = "Answering…";
  const response = await fetch("api/chat", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ message: text }),
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    answer.className = "error";
    answer.textContent = problem.detail || `The request failed (${response.status}).`;
    return;
  }
  await readEvents(response, (name, data) => {
    if (name === "error") {
      answer.className = "error";
      answer.textContent = data.message;
    } else if (name === "done") {
      answer.textContent = data.text;
    } else {
      answer.textContent += data.delta;
    }
  });
}

form.addEventListener("submit", async event => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) {
    return;
  }
  input.value = "";
  send.disabled = true;
  try {
    await ask(text);
  } catch (error) {
    addMessage("error", `The answer was interrupted: ${error.message}`);
  } finally {
    statusLine.textContent = "";
    send.disabled = false;
    input.focus();
  }
});

input.addEventListener("keydown", event => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});

document.getElementById("clear").addEventListener("click", async () => {
  await fetch("api/conversation", { method: "DELETE" });
  messages.replaceChildren();
  input.focus();
});

showCaller().then(showConversation).catch(error => {
  statusLine.textContent = `Could not load the page's data: ${error.message}`;
});
