// The ticket page: a canned reply chosen in the list goes into the message box at the cursor,
// ready to edit; nothing is sent until the agent presses "Send reply".
(function () {
  "use strict";
  document.querySelectorAll("select[data-insert-into]").forEach(function (select) {
    select.addEventListener("change", function () {
      const box = document.getElementById(select.dataset.insertInto);
      const text = select.value;
      if (!box || !text) return;
      const start = box.selectionStart ?? box.value.length;
      const end = box.selectionEnd ?? box.value.length;
      box.value = box.value.slice(0, start) + text + box.value.slice(end);
      box.focus();
      box.setSelectionRange(start + text.length, start + text.length);
      select.value = "";
    });
  });
})();
