"""WeChat 公众号: callback signatures and safe-mode crypto, message XML, and the 客服消息 API client."""
