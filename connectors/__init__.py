"""Hand-offs to the outside: booking (预约), complaints (12345), WeChat API, outbox."""
