"""BPMN loading: hardened XML, Sunhall's conventions on top of SpiffWorkflow's Camunda parser,
and the validation rules every flow chart must pass before it is deployed."""

from .parser import BPMN_NS, CAMUNDA_NS, SUNHALL_NS, StepConfig, SunhallUserTask, parse_specs
from .validate import Problem, ValidatedProcess, validate_bytes, validate_file

__all__ = ["BPMN_NS", "CAMUNDA_NS", "SUNHALL_NS", "StepConfig", "SunhallUserTask", "parse_specs",
           "Problem", "ValidatedProcess", "validate_bytes", "validate_file"]
