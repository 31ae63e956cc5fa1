// 长辈版 before the first paint: the switch is remembered on this device (localStorage).
"use strict";
if (localStorage.getItem("yc-elder") === "1") document.documentElement.classList.add("elder");
