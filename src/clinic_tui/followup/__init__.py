"""Chronic-disease follow-up (慢病随访): hypertension and type 2 diabetes registries, 随访 visits,
their classification and the indicators a health bureau asks for (国家基本公共卫生服务规范)."""
